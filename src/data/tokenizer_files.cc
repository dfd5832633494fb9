#include "data/tokenizer_files.h"

#include <filesystem>

#include "io/file_util.h"

namespace seek {
namespace fs = std::filesystem;
namespace {

// tokenizer_config.json's "eos_token": a string, or an AddedToken object.
std::string EosTokenOf(const nlohmann::json& config) {
  auto it = config.find("eos_token");
  if (it == config.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_object() && it->contains("content") && (*it)["content"].is_string())
    return (*it)["content"].get<std::string>();
  return "";
}

}  // namespace

StatusOr<TokenizerBundle> LoadTokenizerBundle(const std::string& path,
                                              const std::string& eot_override) {
  std::error_code ec;
  fs::path file(path);
  if (fs::is_directory(file, ec)) file /= kTokenizerJson;
  if (!fs::is_regular_file(file, ec))
    return NotFoundError("tokenizer {} does not exist (give a tokenizer.json file or a folder "
                         "holding one)",
                         file.string());
  TokenizerBundle b;
  b.source = file.string();
  ASSIGN_OR_RETURN(b.tokenizer_json, ReadFileToString(b.source));
  ASSIGN_OR_RETURN(b.tokenizer, Tokenizer::FromJsonString(b.tokenizer_json, b.source));

  const fs::path config_path = file.parent_path() / kTokenizerConfigJson;
  b.tokenizer_config = nlohmann::json::object();
  if (fs::exists(config_path, ec)) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(config_path.string()));
    b.tokenizer_config = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (b.tokenizer_config.is_discarded() || !b.tokenizer_config.is_object())
      return DataLossError("{}: not a JSON object (fix or remove it)", config_path.string());
  } else {
    // Without it, transformers' AutoTokenizer would pick the model family's
    // tokenizer class, which may add tokens this tokenizer.json does not.
    b.tokenizer_config["tokenizer_class"] = "PreTrainedTokenizerFast";
  }

  std::string how;
  if (!eot_override.empty()) {
    b.eot_token = eot_override;
    how = "--eot-token";
  } else if (std::string eos = EosTokenOf(b.tokenizer_config); !eos.empty()) {
    b.eot_token = eos;
    how = config_path.string() + " eos_token";
  } else {
    for (const char* name : kEndOfTextNames) {
      if (b.tokenizer->TokenToId(name).has_value()) {
        b.eot_token = name;
        break;
      }
    }
    if (b.eot_token.empty())
      return InvalidArgumentError("{} has no end-of-text token: no {} with \"eos_token\" and none "
                                  "of <|endoftext|>, <|end_of_text|>, </s> in the vocabulary; "
                                  "name one with --eot-token",
                                  b.source, kTokenizerConfigJson);
  }
  std::optional<int32_t> id = b.tokenizer->TokenToId(b.eot_token);
  if (!id.has_value())
    return InvalidArgumentError("end-of-text token {:?} (from {}) is not in {}'s vocabulary",
                                b.eot_token, how.empty() ? "the defaults" : how, b.source);
  b.eot_id = *id;
  b.tokenizer_config["eos_token"] = b.eot_token;
  return b;
}

Status SaveTokenizerFiles(const TokenizerBundle& b, const std::string& dir) {
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/" + kTokenizerJson, b.tokenizer_json));
  return WriteFileAtomic(dir + "/" + kTokenizerConfigJson, b.tokenizer_config.dump(2) + "\n");
}

Status RemoveTokenizerFiles(const std::string& dir) {
  for (const char* name : {kTokenizerJson, kTokenizerConfigJson}) {
    std::error_code ec;
    fs::remove(fs::path(dir) / name, ec);
    if (ec) return IoError("cannot remove {}/{}: {}", dir, name, ec.message());
  }
  return Status::Ok();
}

StatusOr<std::optional<TokenizerBundle>> FindShardTokenizer(const std::vector<std::string>& shards) {
  std::string with, without, first_text, first_config;
  for (const std::string& shard : shards) {
    const fs::path dir = fs::path(shard).parent_path();
    std::error_code ec;
    const fs::path tok = dir / kTokenizerJson;
    if (!fs::exists(tok, ec)) {
      if (without.empty()) without = shard;
      continue;
    }
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(tok.string()));
    std::string config;
    if (fs::exists(dir / kTokenizerConfigJson, ec)) {
      ASSIGN_OR_RETURN(config, ReadFileToString((dir / kTokenizerConfigJson).string()));
    }
    if (with.empty()) {
      with = tok.string();
      first_text = std::move(text);
      first_config = std::move(config);
    } else if (text != first_text || config != first_config) {
      return InvalidArgumentError("data.shards mixes two tokenizers: {} and {} differ (shard every "
                                  "input with the same `seek shards --tokenizer`)",
                                  with, tok.string());
    }
  }
  if (with.empty()) return std::optional<TokenizerBundle>();
  if (!without.empty())
    return InvalidArgumentError("data.shards mixes tokenizers: {} has {} beside it but {} has none "
                                "(byte-level); shard every input the same way",
                                fs::path(with).parent_path().string(), kTokenizerJson, without);
  ASSIGN_OR_RETURN(TokenizerBundle b, LoadTokenizerBundle(with));
  return std::optional<TokenizerBundle>(std::move(b));
}

}  // namespace seek
