// seek_ref_driver — the Seek side of the PyTorch parity tests.
//
//   seek_ref_driver init --config CFG.json --seed S --out DIR
//       Seek's own initialisation, saved as an HF model dir.
//   seek_ref_driver run --model DIR --batch BATCH.json --out OUT.safetensors
//       Forward + backward on the batch; writes "logits" [B, T, V], "loss" [1]
//       and "grad.<hf name>" for every tensor, as reference_cli.py run does.
//       --precision fp32|bf16|fp16 (default fp32): the mixed-precision mode.
//   seek_ref_driver train --model DIR --batches BATCHES.json --opt OPT.json --out RESULT.json
//       AdamW steps over the micro-batches (grad_accum per step) with Seek's
//       trainer step and schedule; RESULT.json {"loss", "lr", "grad_norm"} per
//       step, as reference_cli.py train writes. --precision as for run (fp16
//       with Megatron's default dynamic loss scaling).
// parity_test.py drives both sides and compares with reference_cli.py compare.
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "io/file_util.h"
#include "io/safetensors.h"
#include "model/checkpoint.h"
#include "train/schedule.h"
#include "train/step.h"

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

Status Run(const std::string& dir, const std::string& batch_path, const std::string& out,
           const std::string& precision) {
  ASSIGN_OR_RETURN(auto model, LoadModelDir(dir));
  ASSIGN_OR_RETURN(Precision p, ParsePrecision(precision));
  model->SetPrecision(p);
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
  // fp16 runs backward with the trainer's initial loss scale (2^16) and
  // unscales after, as training does: unscaled, small gradients underflow.
  const float loss_scale = p == Precision::kF16 ? 65536.f : 1.f;
  int64_t n_targets = 0;
  for (int32_t t : targets) n_targets += t != -1;
  ASSIGN_OR_RETURN(LossResult r, model->ForwardBackward(batch, loss_scale / static_cast<float>(n_targets)));
  for (int64_t i = 0; i < model->params().size(); ++i) model->params().grad()[i] /= loss_scale;
  if (r.loss_sum != fwd.loss_sum) return Status(StatusCode::kInternal, "forward loss differs");
  Tensor loss = Tensor::F32({1});
  loss.f32()[0] = static_cast<float>(r.mean());
  std::vector<SafetensorsTensor> tensors = {{"logits", logits.view(), DType::kF32},
                                            {"loss", loss.view(), DType::kF32}};
  auto grads = ToHfTensors(*model, model->params().grad());
  for (auto& [name, t] : grads) tensors.push_back({"grad." + name, t.view(), DType::kF32});
  return WriteSafetensors(out, tensors);
}

struct MicroBatch {
  int64_t B = 0, T = 0;
  std::vector<int32_t> tokens, targets, docs;
  Batch batch() const { return Batch{B, T, tokens.data(), targets.data(), docs.empty() ? nullptr : docs.data()}; }
};

Status ReadBatch(const nlohmann::json& j, MicroBatch* m) {
  int64_t B2, T2;
  RETURN_IF_ERROR(ReadMatrix(j, "input_ids", &m->B, &m->T, &m->tokens));
  RETURN_IF_ERROR(ReadMatrix(j, "targets", &B2, &T2, &m->targets));
  if (j.contains("doc_ids") && !j["doc_ids"].is_null())
    RETURN_IF_ERROR(ReadMatrix(j, "doc_ids", &B2, &T2, &m->docs));
  return Status::Ok();
}

Status Train(const std::string& dir, const std::string& batches_path, const std::string& opt_path,
             const std::string& out, const std::string& precision_name) {
  ASSIGN_OR_RETURN(auto model, LoadModelDir(dir));
  ASSIGN_OR_RETURN(std::string batches_text, ReadFileToString(batches_path));
  ASSIGN_OR_RETURN(std::string opt_text, ReadFileToString(opt_path));
  nlohmann::json bj = nlohmann::json::parse(batches_text), o = nlohmann::json::parse(opt_text);
  std::vector<MicroBatch> micro(bj["micro_batches"].size());
  for (size_t i = 0; i < micro.size(); ++i) RETURN_IF_ERROR(ReadBatch(bj["micro_batches"][i], &micro[i]));
  const int64_t accum = o.value("grad_accum", 2);
  const int64_t steps = static_cast<int64_t>(micro.size()) / accum;
  OptimSection opt;
  ScheduleConfig& s = opt.schedule;
  s.max_lr = o.value("lr", 1e-3);
  s.min_lr = o.value("min_lr", 1e-4);
  s.warmup_steps = o.value("warmup_steps", 2);
  s.total_steps = o.value("total_steps", steps);
  ASSIGN_OR_RETURN(s.kind, ParseScheduleKind(o.value("schedule", "cosine")));
  s.decay_fraction = o.value("decay_fraction", 0.2);
  s.milestones = o.value("milestones", s.milestones);
  s.factors = o.value("factors", s.factors);
  opt.weight_decay = o.value("weight_decay", 0.1);
  opt.beta1 = o.value("beta1", 0.9);
  opt.beta2 = o.value("beta2", 0.95);
  opt.eps = o.value("eps", 1e-8);
  opt.grad_clip = o.contains("grad_clip") && o["grad_clip"].is_null() ? 0.0 : o.value("grad_clip", 1.0);
  opt.decay_embeddings = o.value("decay_embeddings", false);
  opt.decay_norms_and_biases = o.value("decay_norms_and_biases", false);
  AdamWOptimizer optimizer(model->params(), opt);
  ASSIGN_OR_RETURN(Precision precision, ParsePrecision(precision_name));
  model->SetPrecision(precision);
  std::unique_ptr<DynamicLossScaler> scaler;  // fp16: Megatron's defaults (initial 2^16)
  if (precision == Precision::kF16) scaler = std::make_unique<DynamicLossScaler>(LossScalerOptions{});
  nlohmann::json result = {{"loss", nlohmann::json::array()}, {"lr", nlohmann::json::array()},
                           {"grad_norm", nlohmann::json::array()}, {"loss_scale", nlohmann::json::array()}};
  for (int64_t step = 0; step < steps; ++step) {
    std::vector<Batch> group;
    for (int64_t a = 0; a < accum; ++a) group.push_back(micro[step * accum + a].batch());
    const double lr = LrAt(s, step);
    ASSIGN_OR_RETURN(StepResult r, AccumulateAndStep(model.get(), &optimizer, group, opt.grad_clip, lr,
                                                     scaler.get()));
    result["loss"].push_back(r.loss);
    result["lr"].push_back(lr);
    result["grad_norm"].push_back(r.grad_norm);
    result["loss_scale"].push_back(r.loss_scale);
  }
  return WriteFileAtomic(out, result.dump(1) + "\n");
}

}  // namespace
}  // namespace seek

int main(int argc, char** argv) {
  std::vector<std::string> a(argv + 1, argv + argc);
  auto flag = [&](const std::string& name, const std::string& fallback = "") -> std::string {
    for (size_t i = 0; i + 1 < a.size(); ++i)
      if (a[i] == name) return a[i + 1];
    return fallback;
  };
  seek::Status s;
  if (!a.empty() && a[0] == "init") {
    s = seek::Init(flag("--config"), std::stoull(flag("--seed")), flag("--out"));
  } else if (!a.empty() && a[0] == "train") {
    s = seek::Train(flag("--model"), flag("--batches"), flag("--opt"), flag("--out"), flag("--precision", "fp32"));
  } else if (!a.empty() && a[0] == "run") {
    s = seek::Run(flag("--model"), flag("--batch"), flag("--out"), flag("--precision", "fp32"));
  } else {
    std::fprintf(stderr, "usage: seek_ref_driver init|run|train ...\n");
    return 2;
  }
  if (!s.ok()) {
    std::fprintf(stderr, "seek_ref_driver: %s\n", s.ToString().c_str());
    return 1;
  }
  return 0;
}
