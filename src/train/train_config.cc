#include "train/train_config.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "io/file_util.h"
#include "model/json_fields.h"
#include "tokenizer/bytes.h"

namespace seek {
namespace {

Status RejectUnknown(const JsonFields& f, const std::string& section) {
  nlohmann::json rest = f.Unused();
  if (rest.empty()) return Status::Ok();
  return InvalidArgumentError("{}: unknown key '{}' in section '{}' (check the spelling; "
                              "docs/train_config.md lists every key)",
                              f.source(), rest.begin().key(), section);
}

const nlohmann::json& Section(const nlohmann::json& root, const char* name) {
  static const nlohmann::json kEmpty = nlohmann::json::object();
  auto it = root.find(name);
  return it == root.end() || it->is_null() ? kEmpty : *it;
}

Status NeedObject(const nlohmann::json& j, const std::string& source, const char* name) {
  if (!j.is_object())
    return InvalidArgumentError("{}: section '{}' must be a JSON object, got {}", source, name,
                                j.dump());
  return Status::Ok();
}

Status Range(const std::string& source, const char* field, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi))
    return InvalidArgumentError("{}: {} = {} must be in [{}, {}]", source, field, v, lo, hi);
  return Status::Ok();
}

Status DoubleList(const nlohmann::json& j, const std::string& source, const char* key,
                  std::vector<double>* out) {
  auto it = j.find(key);
  if (it == j.end()) return Status::Ok();
  if (!it->is_array()) return InvalidArgumentError("{}: optim.{} must be a list of numbers", source, key);
  out->clear();
  for (const auto& v : *it) {
    if (!v.is_number()) return InvalidArgumentError("{}: optim.{} must hold numbers, got {}", source, key, v.dump());
    out->push_back(v.get<double>());
  }
  return Status::Ok();
}

Status ParseData(const nlohmann::json& j, const std::string& source, const std::string& base,
                 DataSection* d) {
  RETURN_IF_ERROR(NeedObject(j, source, "data"));
  JsonFields f(j, source);
  f.Consume("shards");
  auto it = j.find("shards");
  if (it == j.end() || !it->is_array() || it->empty())
    return InvalidArgumentError("{}: data.shards must be a non-empty list of token shard files "
                                "(write them with `seek shards`)",
                                source);
  for (const auto& s : *it) {
    if (!s.is_string()) return InvalidArgumentError("{}: data.shards holds {}, not a path", source, s.dump());
    std::filesystem::path p(s.get<std::string>());
    if (!p.is_absolute() && !base.empty()) p = std::filesystem::path(base) / p;
    d->shards.push_back(std::filesystem::absolute(p).lexically_normal().string());
  }
  RETURN_IF_ERROR(f.Double("val_fraction", &d->val_fraction, 0.01));
  RETURN_IF_ERROR(Range(source, "data.val_fraction", d->val_fraction, 0, 0.5));
  int64_t split_seed = 0;
  RETURN_IF_ERROR(f.Int("split_seed", &split_seed, 0));
  d->split_seed = static_cast<uint64_t>(split_seed);
  return RejectUnknown(f, "data");
}

Status ParseOptim(const nlohmann::json& j, const std::string& source, OptimSection* o) {
  RETURN_IF_ERROR(NeedObject(j, source, "optim"));
  JsonFields f(j, source);
  ScheduleConfig& s = o->schedule;
  RETURN_IF_ERROR(f.Double("lr", &s.max_lr, 1e-3));
  RETURN_IF_ERROR(f.Double("min_lr", &s.min_lr, s.max_lr * 0.1));
  RETURN_IF_ERROR(f.Int("warmup_steps", &s.warmup_steps, 100));
  std::string kind;
  RETURN_IF_ERROR(f.String("schedule", &kind, "cosine"));
  StatusOr<ScheduleKind> k = ParseScheduleKind(kind);
  if (!k.ok()) return k.status().WithContext(source + ": optim.schedule");
  s.kind = *k;
  RETURN_IF_ERROR(f.Double("decay_fraction", &s.decay_fraction, 0.2));
  f.Consume("milestones");
  f.Consume("factors");
  RETURN_IF_ERROR(DoubleList(j, source, "milestones", &s.milestones));
  RETURN_IF_ERROR(DoubleList(j, source, "factors", &s.factors));
  if (s.milestones.size() != s.factors.size())
    return InvalidArgumentError("{}: optim.milestones and optim.factors must have the same length",
                                source);
  RETURN_IF_ERROR(f.Double("weight_decay", &o->weight_decay, 0.1));
  RETURN_IF_ERROR(f.Double("beta1", &o->beta1, 0.9));
  RETURN_IF_ERROR(f.Double("beta2", &o->beta2, 0.95));
  RETURN_IF_ERROR(f.Double("eps", &o->eps, 1e-8));
  RETURN_IF_ERROR(f.Double("grad_clip", &o->grad_clip, 1.0));
  RETURN_IF_ERROR(f.Bool("decay_embeddings", &o->decay_embeddings, false));
  RETURN_IF_ERROR(f.Bool("decay_norms_and_biases", &o->decay_norms_and_biases, false));
  RETURN_IF_ERROR(Range(source, "optim.lr", s.max_lr, 0, 10));
  RETURN_IF_ERROR(Range(source, "optim.min_lr", s.min_lr, 0, s.max_lr));
  RETURN_IF_ERROR(Range(source, "optim.warmup_steps", static_cast<double>(s.warmup_steps), 0, 1e12));
  RETURN_IF_ERROR(Range(source, "optim.decay_fraction", s.decay_fraction, 0, 1));
  RETURN_IF_ERROR(Range(source, "optim.weight_decay", o->weight_decay, 0, 10));
  RETURN_IF_ERROR(Range(source, "optim.beta1", o->beta1, 0, 0.999999));
  RETURN_IF_ERROR(Range(source, "optim.beta2", o->beta2, 0, 0.999999999));
  RETURN_IF_ERROR(Range(source, "optim.eps", o->eps, 1e-30, 1));
  RETURN_IF_ERROR(Range(source, "optim.grad_clip", o->grad_clip, 0, 1e9));
  return RejectUnknown(f, "optim");
}

Status ParseTrain(const nlohmann::json& j, const std::string& source, TrainSection* t) {
  RETURN_IF_ERROR(NeedObject(j, source, "train"));
  JsonFields f(j, source);
  RETURN_IF_ERROR(f.Int("batch_size", &t->batch_size, 8));
  RETURN_IF_ERROR(f.Int("seq_len", &t->seq_len, 256));
  RETURN_IF_ERROR(f.Int("grad_accum", &t->grad_accum, 1));
  RETURN_IF_ERROR(f.Int("max_steps", &t->max_steps, 1000));
  RETURN_IF_ERROR(f.Int("max_tokens", &t->max_tokens, 0));
  int64_t seed = 1;
  RETURN_IF_ERROR(f.Int("seed", &seed, 1));
  t->seed = static_cast<uint64_t>(seed);
  RETURN_IF_ERROR(f.Int("log_every", &t->log_every, 10));
  RETURN_IF_ERROR(f.Int("eval_every", &t->eval_every, 100));
  RETURN_IF_ERROR(f.Int("eval_batches", &t->eval_batches, 8));
  RETURN_IF_ERROR(f.Int("sample_every", &t->sample_every, 0));
  RETURN_IF_ERROR(f.Int("sample_tokens", &t->sample_tokens, 200));
  RETURN_IF_ERROR(f.String("sample_prompt", &t->sample_prompt, ""));
  RETURN_IF_ERROR(f.Double("sample_temperature", &t->sample_temperature, 0.8));
  RETURN_IF_ERROR(f.Int("sample_top_k", &t->sample_top_k, 40));
  RETURN_IF_ERROR(f.Int("checkpoint_every", &t->checkpoint_every, 500));
  RETURN_IF_ERROR(f.Int("keep_checkpoints", &t->keep_checkpoints, 2));
  std::string nan;
  RETURN_IF_ERROR(f.String("nan_policy", &nan, "stop"));
  if (nan != "stop" && nan != "skip")
    return InvalidArgumentError("{}: train.nan_policy '{}' must be \"stop\" or \"skip\"", source, nan);
  t->nan_policy = nan == "stop" ? NanPolicy::kStop : NanPolicy::kSkip;
  RETURN_IF_ERROR(f.Int("threads", &t->threads, 0));
  RETURN_IF_ERROR(f.Double("time_limit_s", &t->time_limit_s, 0));
  std::string ckpt;
  RETURN_IF_ERROR(f.String("activation_checkpointing", &ckpt, "none"));
  StatusOr<Recompute> mode = ParseRecompute(ckpt);
  if (!mode.ok())
    return InvalidArgumentError("{}: train.activation_checkpointing '{}' must be \"none\", "
                                "\"selective\" or \"full\"",
                                source, ckpt);
  t->recompute.mode = *mode;
  RETURN_IF_ERROR(f.Int("activation_checkpointing_every", &t->recompute.every, 1));
  std::string precision;
  RETURN_IF_ERROR(f.String("precision", &precision, "fp32"));
  StatusOr<Precision> p = ParsePrecision(precision);
  if (!p.ok()) return p.status().WithContext(source + ": train.precision");
  t->precision = *p;
  RETURN_IF_ERROR(f.Bool("stochastic_rounding", &t->stochastic_rounding, false));
  if (t->stochastic_rounding && t->precision != Precision::kBf16)
    return InvalidArgumentError("{}: train.stochastic_rounding rounds the bf16 weight copy; it needs "
                                "\"precision\": \"bf16\" (this run is {})", source, PrecisionName(t->precision));
  // fp16's dynamic loss scaling, with Megatron-LM's names and defaults.
  LossScalerOptions& l = t->loss_scale;
  RETURN_IF_ERROR(f.Double("initial_loss_scale", &l.initial_scale, 65536.0));
  RETURN_IF_ERROR(f.Double("min_loss_scale", &l.min_scale, 1.0));
  RETURN_IF_ERROR(f.Int("loss_scale_window", &l.growth_interval, 1000));
  RETURN_IF_ERROR(f.Int("hysteresis", &l.hysteresis, 2));
  if (Status s = l.Validate(); !s.ok()) return s.WithContext(source + ": train");
  if (t->precision != Precision::kF16 &&
      (j.contains("initial_loss_scale") || j.contains("min_loss_scale") || j.contains("loss_scale_window") ||
       j.contains("hysteresis")))
    return InvalidArgumentError("{}: train.initial_loss_scale, min_loss_scale, loss_scale_window and hysteresis "
                                "apply to \"precision\": \"fp16\" only (this run is {})",
                                source, PrecisionName(t->precision));
  RETURN_IF_ERROR(f.Int("dp", &t->dp, 0));
  RETURN_IF_ERROR(f.Int("tp", &t->tp, 1));
  RETURN_IF_ERROR(f.Int("pp", &t->pp, 1));
  RETURN_IF_ERROR(f.Int("zero_stage", &t->zero_stage, 0));
  RETURN_IF_ERROR(f.Double("dp_bucket_mb", &t->dp_bucket_mb, 25));
  RETURN_IF_ERROR(f.Bool("dp_overlap", &t->dp_overlap, true));
  RETURN_IF_ERROR(f.Double("dist_timeout_s", &t->dist_timeout_s, 300));
  RETURN_IF_ERROR(Range(source, "train.dp_bucket_mb", t->dp_bucket_mb, 0.001, 1e6));
  RETURN_IF_ERROR(Range(source, "train.dist_timeout_s", t->dist_timeout_s, 0.1, 1e7));
  RETURN_IF_ERROR(f.Double("peak_tflops", &t->peak_tflops, 0));
  RETURN_IF_ERROR(Range(source, "train.peak_tflops", t->peak_tflops, 0, 1e6));
  struct IntRange { const char* name; int64_t v, lo, hi; };
  for (const IntRange& r : {IntRange{"train.batch_size", t->batch_size, 1, 1 << 20},
                            IntRange{"train.seq_len", t->seq_len, 1, 1 << 24},
                            IntRange{"train.grad_accum", t->grad_accum, 1, 1 << 20},
                            IntRange{"train.max_steps", t->max_steps, 1, int64_t{1} << 40},
                            IntRange{"train.max_tokens", t->max_tokens, 0, int64_t{1} << 60},
                            IntRange{"train.log_every", t->log_every, 1, int64_t{1} << 40},
                            IntRange{"train.eval_every", t->eval_every, 0, int64_t{1} << 40},
                            IntRange{"train.eval_batches", t->eval_batches, 0, 1 << 20},
                            IntRange{"train.sample_every", t->sample_every, 0, int64_t{1} << 40},
                            IntRange{"train.sample_tokens", t->sample_tokens, 0, 1 << 20},
                            IntRange{"train.sample_top_k", t->sample_top_k, 0, 1 << 30},
                            IntRange{"train.checkpoint_every", t->checkpoint_every, 0, int64_t{1} << 40},
                            IntRange{"train.keep_checkpoints", t->keep_checkpoints, 1, 1 << 20},
                            IntRange{"train.threads", t->threads, 0, 4096},
                            IntRange{"train.dp", t->dp, 0, 1 << 20},
                            IntRange{"train.tp", t->tp, 1, 1 << 20},
                            IntRange{"train.pp", t->pp, 1, 1 << 20},
                            IntRange{"train.zero_stage", t->zero_stage, 0, 1},
                            IntRange{"train.activation_checkpointing_every", t->recompute.every, 1,
                                     1 << 20}})
    if (r.v < r.lo || r.v > r.hi)
      return InvalidArgumentError("{}: {} = {} must be in [{}, {}]", source, r.name, r.v, r.lo, r.hi);
  // Guards the products computed from these (tokens per step, tokens per run).
  if (static_cast<double>(t->batch_size) * t->seq_len * t->grad_accum > 1e12)
    return InvalidArgumentError("{}: train.batch_size * seq_len * grad_accum = {} * {} * {} is more "
                                "than 10^12 tokens per step; check the sizes",
                                source, t->batch_size, t->seq_len, t->grad_accum);
  RETURN_IF_ERROR(Range(source, "train.sample_temperature", t->sample_temperature, 0, 100));
  RETURN_IF_ERROR(Range(source, "train.time_limit_s", t->time_limit_s, 0, 1e9));
  return RejectUnknown(f, "train");
}

}  // namespace

int64_t TrainSection::total_steps() const {
  if (max_tokens <= 0) return max_steps;
  return std::min(max_steps, (max_tokens + tokens_per_step() - 1) / tokens_per_step());
}

StatusOr<TrainConfig> ParseTrainConfig(const std::string& json_text, const std::string& source,
                                       const std::string& base_dir) {
  nlohmann::json root = nlohmann::json::parse(json_text, nullptr, false);
  if (root.is_discarded())
    return InvalidArgumentError("{}: not valid JSON (check for trailing commas or truncation)", source);
  if (!root.is_object()) return InvalidArgumentError("{}: must be a JSON object", source);
  for (auto it = root.begin(); it != root.end(); ++it)
    if (it.key() != "model" && it.key() != "data" && it.key() != "optim" && it.key() != "train")
      return InvalidArgumentError("{}: unknown section '{}' (sections: model, data, optim, train)",
                                  source, it.key());
  TrainConfig c;
  c.model_json = Section(root, "model");
  RETURN_IF_ERROR(NeedObject(c.model_json, source, "model"));
  if (c.model_json.empty())
    c.model_json = {{"model_type", "gpt2"}, {"n_layer", 4}, {"n_head", 4}, {"n_embd", 256}};
  RETURN_IF_ERROR(ParseData(Section(root, "data"), source, base_dir, &c.data));
  RETURN_IF_ERROR(ParseOptim(Section(root, "optim"), source, &c.optim));
  RETURN_IF_ERROR(ParseTrain(Section(root, "train"), source, &c.train));
  c.optim.schedule.total_steps = c.train.total_steps();
  if (c.optim.schedule.warmup_steps > c.optim.schedule.total_steps)
    c.optim.schedule.warmup_steps = c.optim.schedule.total_steps;
  return c;
}

StatusOr<TrainConfig> LoadTrainConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::string base = std::filesystem::path(path).parent_path().string();
  return ParseTrainConfig(text, path, base);
}

Status ResolveModel(TrainConfig* c, int64_t data_vocab_size, int64_t tokenizer_vocab_size) {
  nlohmann::json& m = c->model_json;
  const bool tokenizer = tokenizer_vocab_size > 0;
  if (tokenizer) data_vocab_size = std::max(data_vocab_size, tokenizer_vocab_size);
  if (!m.contains("vocab_size")) {
    if (data_vocab_size <= 0)
      return InvalidArgumentError("model.vocab_size is missing and no data gives it");
    m["vocab_size"] = tokenizer ? (data_vocab_size + kVocabMultiple - 1) / kVocabMultiple * kVocabMultiple
                                : data_vocab_size;
  } else if (data_vocab_size > 0 && m["vocab_size"].is_number_integer() &&
             m["vocab_size"].get<int64_t>() < data_vocab_size) {
    return InvalidArgumentError("model.vocab_size = {} is smaller than the data's vocabulary {}",
                                m["vocab_size"].get<int64_t>(), data_vocab_size);
  }
  // Byte-level data (`seek shards`) makes a byte-level model: say so in config.json.
  if (!tokenizer && data_vocab_size == ByteTokenizer::kVocabSize && m["vocab_size"] == data_vocab_size &&
      !m.contains(ByteTokenizer::kConfigKey))
    m[ByteTokenizer::kConfigKey] = ByteTokenizer::kConfigValue;
  // The position table defaults to the training sequence length.
  auto type = m.find("model_type");
  const bool gpt2 = type != m.end() && type->is_string() && *type == "gpt2";
  const char* pos_key = gpt2 ? "n_positions" : "max_position_embeddings";
  if (!m.contains(pos_key)) m[pos_key] = c->train.seq_len;
  ASSIGN_OR_RETURN(c->model, ParseModelConfig(m.dump(), "model section"));
  if (c->model.max_positions < c->train.seq_len)
    return InvalidArgumentError("model {} = {} is shorter than train.seq_len = {}", pos_key,
                                c->model.max_positions, c->train.seq_len);
  return Status::Ok();
}

nlohmann::json TrainConfig::ToJson() const {
  nlohmann::json j;
  j["model"] = model.family.empty() ? model_json : ModelConfigToJson(model);
  j["data"] = {{"shards", data.shards}, {"val_fraction", data.val_fraction},
               {"split_seed", data.split_seed}};
  const ScheduleConfig& s = optim.schedule;
  j["optim"] = {{"lr", s.max_lr}, {"min_lr", s.min_lr}, {"warmup_steps", s.warmup_steps},
                {"schedule", ScheduleKindName(s.kind)}, {"decay_fraction", s.decay_fraction},
                {"milestones", s.milestones}, {"factors", s.factors},
                {"weight_decay", optim.weight_decay}, {"beta1", optim.beta1},
                {"beta2", optim.beta2}, {"eps", optim.eps}, {"grad_clip", optim.grad_clip},
                {"decay_embeddings", optim.decay_embeddings},
                {"decay_norms_and_biases", optim.decay_norms_and_biases}};
  const TrainSection& t = train;
  j["train"] = {{"batch_size", t.batch_size}, {"seq_len", t.seq_len},
                {"grad_accum", t.grad_accum}, {"max_steps", t.max_steps},
                {"max_tokens", t.max_tokens}, {"seed", t.seed}, {"log_every", t.log_every},
                {"eval_every", t.eval_every}, {"eval_batches", t.eval_batches},
                {"sample_every", t.sample_every}, {"sample_tokens", t.sample_tokens},
                {"sample_prompt", t.sample_prompt}, {"sample_temperature", t.sample_temperature},
                {"sample_top_k", t.sample_top_k}, {"checkpoint_every", t.checkpoint_every},
                {"keep_checkpoints", t.keep_checkpoints},
                {"nan_policy", t.nan_policy == NanPolicy::kStop ? "stop" : "skip"},
                {"threads", t.threads}, {"time_limit_s", t.time_limit_s},
                {"activation_checkpointing", RecomputeName(t.recompute.mode)},
                {"activation_checkpointing_every", t.recompute.every},
                {"precision", PrecisionName(t.precision)},
                {"dp", t.dp}, {"tp", t.tp}, {"pp", t.pp}, {"zero_stage", t.zero_stage},
                {"dp_bucket_mb", t.dp_bucket_mb}, {"dp_overlap", t.dp_overlap},
                {"dist_timeout_s", t.dist_timeout_s}, {"peak_tflops", t.peak_tflops}};
  if (t.precision == Precision::kBf16) j["train"]["stochastic_rounding"] = t.stochastic_rounding;
  if (t.precision == Precision::kF16) {
    const LossScalerOptions& l = t.loss_scale;
    j["train"]["initial_loss_scale"] = l.initial_scale;
    j["train"]["min_loss_scale"] = l.min_scale;
    j["train"]["loss_scale_window"] = l.growth_interval;
    j["train"]["hysteresis"] = l.hysteresis;
  }
  return j;
}

}  // namespace seek
