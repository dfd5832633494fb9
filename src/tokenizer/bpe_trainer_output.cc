// tokenizer/bpe_trainer_output.cc — step 3 of bpe_trainer.h: tokenizer.json
// and tokenizer_config.json of a trained tokenizer (the layout of Llama 3's
// files, docs/tokenizer_training.md).
#include <filesystem>

#include "io/file_util.h"
#include "tokenizer/bpe_trainer.h"

namespace seek {
namespace {

using Json = nlohmann::ordered_json;

Json AddedToken(const std::string& content) {
  return Json{{"content", content}, {"lstrip", false},      {"normalized", false},
              {"rstrip", false},    {"single_word", false}, {"special", true}};
}

// The first of `names` that is a special token; `fallback` if none is.
Json PickSpecial(const std::vector<std::string>& specials, std::initializer_list<const char*> names,
                 const Json& fallback) {
  for (const char* name : names)
    for (const std::string& s : specials)
      if (s == name) return s;
  return fallback;
}

}  // namespace

Json TrainedTokenizerJson(const BpeTrainingResult& r, const BpeTrainerOptions& options) {
  Json added = Json::array();
  for (int32_t id = 0; id < r.num_special; ++id) {
    Json t{{"id", id}};
    t.update(AddedToken(r.vocab[id]));
    added.push_back(std::move(t));
  }
  // In id order. ordered_json's operator[] searches linearly (quadratic over a
  // large vocabulary); tokens are distinct, so append to the container.
  Json vocab = Json::object();
  Json::object_t& entries = vocab.get_ref<Json::object_t&>();
  entries.reserve(r.vocab.size());
  for (size_t id = 0; id < r.vocab.size(); ++id)
    entries.Container::emplace_back(r.vocab[id], Json(id));
  Json merges = Json::array();
  for (const auto& [a, b] : r.merges) merges.push_back(r.vocab[a] + " " + r.vocab[b]);

  Json j;
  j["version"] = "1.0";
  j["truncation"] = nullptr;
  j["padding"] = nullptr;
  j["added_tokens"] = std::move(added);
  j["normalizer"] = nullptr;
  j["pre_tokenizer"] = {
      {"type", "Sequence"},
      {"pretokenizers", Json::array({Json{{"type", "Split"},
                                          {"pattern", {{"Regex", options.split_regex}}},
                                          {"behavior", "Isolated"},
                                          {"invert", false}},
                                     Json{{"type", "ByteLevel"},
                                          {"add_prefix_space", false},
                                          {"trim_offsets", true},
                                          {"use_regex", false}}})}};
  j["post_processor"] = {{"type", "ByteLevel"},
                         {"add_prefix_space", true},
                         {"trim_offsets", false},
                         {"use_regex", true}};
  j["decoder"] = {{"type", "ByteLevel"},
                  {"add_prefix_space", true},
                  {"trim_offsets", true},
                  {"use_regex", true}};
  j["model"] = {{"type", "BPE"},
                {"dropout", nullptr},
                {"unk_token", nullptr},
                {"continuing_subword_prefix", nullptr},
                {"end_of_word_suffix", nullptr},
                {"fuse_unk", false},
                {"byte_fallback", false},
                {"ignore_merges", false},
                {"vocab", std::move(vocab)},
                {"merges", std::move(merges)}};
  return j;
}

Json TrainedTokenizerConfigJson(const BpeTrainingResult& r, const BpeTrainerOptions& options) {
  const std::vector<std::string> specials(r.vocab.begin(), r.vocab.begin() + r.num_special);
  Json decoder = Json::object();
  for (int32_t id = 0; id < r.num_special; ++id)
    decoder[std::to_string(id)] = AddedToken(r.vocab[id]);
  const Json first = specials.empty() ? Json(nullptr) : Json(specials[0]);
  const Json eos =
      PickSpecial(specials, {"<|endoftext|>", "<|end_of_text|>", "</s>", "<eos>"}, first);
  Json j;
  j["added_tokens_decoder"] = std::move(decoder);
  j["bos_token"] = PickSpecial(specials, {"<|begin_of_text|>", "<s>", "<bos>"}, eos);
  j["eos_token"] = eos;
  j["unk_token"] = PickSpecial(specials, {"<unk>", "<|unk|>"}, nullptr);
  j["pad_token"] = PickSpecial(specials, {"<pad>", "<|pad|>"}, nullptr);
  j["clean_up_tokenization_spaces"] = false;
  j["model_input_names"] = Json::array({"input_ids", "attention_mask"});
  j["model_max_length"] = options.model_max_length;
  j["tokenizer_class"] = "PreTrainedTokenizerFast";
  return j;
}

Status WriteTrainedTokenizer(const BpeTrainingResult& result, const BpeTrainerOptions& options,
                             const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("--out {}: cannot create the directory: {}", dir, ec.message());
  const std::filesystem::path d(dir);
  RETURN_IF_ERROR(WriteFileAtomic((d / "tokenizer.json").string(),
                                  TrainedTokenizerJson(result, options).dump(2)));
  return WriteFileAtomic((d / "tokenizer_config.json").string(),
                         TrainedTokenizerConfigJson(result, options).dump(2) + "\n");
}

}  // namespace seek
