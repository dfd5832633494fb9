// seek_ref_driver — the Seek side of the PyTorch parity tests.
//
//   seek_ref_driver init --config CFG.json --seed S --out DIR
//       Seek's own initialisation, saved as an HF model dir.
//   seek_ref_driver run --model DIR --batch BATCH.json --out OUT.safetensors
//       Forward + backward on the batch; writes "logits" [B, T, V], "loss" [1]
//       and "grad.<hf name>" for every tensor, as reference_cli.py run does.
// parity_test.py drives both sides and compares with reference_cli.py compare.
#include <cstdio>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "io/safetensors.h"
#include "model/checkpoint.h"

namespace seek {
namespace {

Status ReadMatrix(const nlohmann::json& j, const char* key, int64_t* B, int64_t* T,
                  std::vector<int32_t>* out) {
  if (!j.contains(key)) return NotFoundError("batch has no '{}'", key);
  const auto& rows = j[key];
  *B = static_cast<int64_t>(rows.size());
  *T = *B ? static_cast<int64_t>(rows[0].size()) : 0;
  out->clear();
  for (const auto& r : rows) {
    if (static_cast<int64_t>(r.size()) != *T) return InvalidArgumentError("ragged '{}'", key);
    for (const auto& v : r) out->push_back(v.get<int32_t>());
  }
  return Status::Ok();
}

Status Init(const std::string& config_path, uint64_t seed, const std::string& out) {
  ASSIGN_OR_RETURN(ModelConfig config, LoadModelConfig(config_path));
  ASSIGN_OR_RETURN(auto model, Transformer::Create(config));
  model->params().Initialize(config, seed);
  return SaveModelDir(*model, out);
}

Status Run(const std::string& dir, const std::string& batch_path, const std::string& out) {
  ASSIGN_OR_RETURN(auto model, LoadModelDir(dir));
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(batch_path));
  nlohmann::json j = nlohmann::json::parse(text);
  int64_t B, T, B2, T2;
  std::vector<int32_t> tokens, targets, docs;
  RETURN_IF_ERROR(ReadMatrix(j, "input_ids", &B, &T, &tokens));
  RETURN_IF_ERROR(ReadMatrix(j, "targets", &B2, &T2, &targets));
  Batch batch{B, T, tokens.data(), targets.data(), nullptr};
  if (j.contains("doc_ids") && !j["doc_ids"].is_null()) {
    RETURN_IF_ERROR(ReadMatrix(j, "doc_ids", &B2, &T2, &docs));
    batch.doc_ids = docs.data();
  }
  const int64_t V = model->config().vocab_size;
  ASSIGN_OR_RETURN(LossResult fwd, model->Forward(batch));
  Tensor logits = Tensor::F32({B, T, V});
  std::copy(model->logits(), model->logits() + B * T * V, logits.f32());
  model->params().ZeroGrad();
  ASSIGN_OR_RETURN(LossResult r, model->ForwardBackward(batch));
  if (r.loss_sum != fwd.loss_sum) return Status(StatusCode::kInternal, "forward loss differs");
  Tensor loss = Tensor::F32({1});
  loss.f32()[0] = static_cast<float>(r.mean());
  std::vector<SafetensorsTensor> tensors = {{"logits", logits.view(), DType::kF32},
                                            {"loss", loss.view(), DType::kF32}};
  auto grads = ToHfTensors(*model, model->params().grad());
  for (auto& [name, t] : grads) tensors.push_back({"grad." + name, t.view(), DType::kF32});
  return WriteSafetensors(out, tensors);
}

}  // namespace
}  // namespace seek

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  auto flag = [&](const std::string& name) -> std::string {
    for (size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == name) return a[i + 1];
    return "";
  };
  seek::Status s;
  if (!a.empty() && a[0] == "init") {
    s = seek::Init(flag("--config"), std::stoull(flag("--seed")), flag("--out"));
  } else if (!a.empty() && a[0] == "run") {
    s = seek::Run(flag("--model"), flag("--batch"), flag("--out"));
  } else {
    std::fprintf(stderr, "usage: seek_ref_driver init|run ...\n");
    return 2;
  }
  if (!s.ok()) {
    std::fprintf(stderr, "seek_ref_driver: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
