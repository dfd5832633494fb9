#include "train/trainer.h"

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "core/profile.h"
#include "core/threads.h"
#include "io/file_util.h"
#include "kernels/gemm.h"
#include "train/dist/pipeline.h"
#include "train/metrics.h"
#include "train/run_checkpoint.h"
#include "train/sample.h"
#include "train/step.h"
#include "tokenizer/bytes.h"

namespace seek {
namespace {

using Clock = std::chrono::steady_clock;

// The process's peak resident memory (what `time -v` calls maximum resident set size).
double PeakRssMb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;  // kB on Linux
}

// Threads per rank when train.threads is 0: the cores shared by the ranks an
// MPI launcher started on this node (oversubscribed OpenMP runs ~3x slower).
int DefaultThreadsPerRank() {
  int64_t local = 1;
  for (const char* v : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE"})
    if (const char* e = std::getenv(v); e != nullptr && std::atoll(e) > 0) {
      local = std::atoll(e);
      break;
    }
  const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
  return local > 1 ? static_cast<int>(std::max<int64_t>(1, cores / local)) : 0;
}

std::string Duration(double s) {
  if (!std::isfinite(s) || s < 0) return "?";
  const int64_t t = static_cast<int64_t>(s + 0.5);
  if (t >= 3600) return fmt::format("{}h{:02d}m", t / 3600, (t % 3600) / 60);
  if (t >= 60) return fmt::format("{}m{:02d}s", t / 60, t % 60);
  return fmt::format("{}s", t);
}

// A resumed run must keep its tokenizer: the checkpoint's tokenizer.json (if
// any) must be the shards' one, byte for byte.
Status CheckCheckpointTokenizer(const std::string& dir, const std::optional<TokenizerBundle>& tok) {
  const std::string path = dir + "/" + kTokenizerJson;
  std::error_code ec;
  const bool has = std::filesystem::exists(path, ec);
  if (!tok && !has) return Status::Ok();
  if (!tok)
    return InvalidArgumentError("{} was trained with a tokenizer but data.shards have none (byte "
                                "level); resume with the shards the run started with",
                                dir);
  if (!has)
    return InvalidArgumentError("data.shards come with {} but {} was trained without it; resume "
                                "with the shards the run started with",
                                tok->source, dir);
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  if (text != tok->tokenizer_json)
    return InvalidArgumentError("{} differs from the shards' tokenizer {}: resume with the shards "
                                "the run started with",
                                path, tok->source);
  return Status::Ok();
}

}  // namespace

Trainer::Trainer(TrainConfig config, TrainOptions options)
    : config_(std::move(config)), options_(std::move(options)) {}

StatusOr<std::unique_ptr<Trainer>> Trainer::Create(TrainConfig config, TrainOptions options) {
  std::unique_ptr<Trainer> t(new Trainer(std::move(config), std::move(options)));
  TrainConfig& c = t->config_;
  ASSIGN_OR_RETURN(t->world_, WorldCommunicator());
  t->world_->set_timeout_s(c.train.dist_timeout_s);
  if (!t->lead()) t->options_.quiet = true;  // one voice per job
  SetNumThreads(static_cast<int>(c.train.threads > 0 ? c.train.threads : DefaultThreadsPerRank()));
  // Before the loaders: mixed tokenizers are the likelier cause of mixed vocabularies.
  ASSIGN_OR_RETURN(t->tokenizer_, FindShardTokenizer(c.data.shards));
  LoaderOptions lo{c.data.shards, c.train.batch_size, c.train.seq_len, c.train.seed,
                   c.data.val_fraction, c.data.split_seed};
  ASSIGN_OR_RETURN(DataLoader train, DataLoader::Open(lo, Split::kTrain));
  t->train_ = std::make_unique<DataLoader>(std::move(train));
  if (c.data.val_fraction > 0) {
    ASSIGN_OR_RETURN(DataLoader val, DataLoader::Open(lo, Split::kValidation));
    t->val_ = std::make_unique<DataLoader>(std::move(val));
  }
  int64_t tokenizer_vocab = 0;
  if (t->tokenizer_) {
    tokenizer_vocab = t->tokenizer_->tokenizer->vocab_size();
    if (t->train_->vocab_size() != tokenizer_vocab)
      return InvalidArgumentError("the shards have a vocabulary of {} ids but {} has {}: they were "
                                  "not written with it; rewrite them with `seek shards --tokenizer`",
                                  t->train_->vocab_size(), t->tokenizer_->source, tokenizer_vocab);
  }
  RETURN_IF_ERROR(ResolveModel(&c, t->train_->vocab_size(), tokenizer_vocab));
  ASSIGN_OR_RETURN(Layout layout, ResolveLayout(Layout{c.train.dp, c.train.tp, c.train.pp}, t->world_->size(),
                                                c.model, c.train.batch_size));
  ASSIGN_OR_RETURN(t->groups_, MakeGroups(*t->world_, layout));
  if (layout.pp > 1) {  // this rank's stage: blocks [begin, end), the embedding first, the head last
    ASSIGN_OR_RETURN(t->shard_, PipelineStageShard(c.model, static_cast<int>(layout.pp),
                                                   static_cast<int>(t->groups_.pp_rank)));
  }
  t->shard_.tp_rank = static_cast<int>(t->groups_.tp_rank);
  t->shard_.tp_size = static_cast<int>(layout.tp);
  if (layout.tp > 1) t->tp_collectives_ = std::make_unique<CommunicatorTpCollectives>(t->groups_.tp.get());
  ASSIGN_OR_RETURN(t->model_, Transformer::Create(c.model, t->shard_, t->tp_collectives_.get()));
  RETURN_IF_ERROR(t->model_->SetRecompute(c.train.recompute));
  if (layout.dp > 1) {
    DataParallelOptions dpo;
    dpo.bucket_floats = std::max<int64_t>(16, static_cast<int64_t>(c.train.dp_bucket_mb * (1 << 20) / 4));
    dpo.overlap = c.train.dp_overlap;
    dpo.zero1 = c.train.zero_stage == 1;
    t->sync_ = std::make_unique<GradientSync>(t->groups_.dp.get(), &t->model_->params(), dpo);
    t->optimizer_ = std::make_unique<AdamWOptimizer>(t->model_->params(), c.optim, t->sync_->shard_begin(),
                                                     t->sync_->shard_end());
  } else {
    t->optimizer_ = std::make_unique<AdamWOptimizer>(t->model_->params(), c.optim);
  }
  if (!GemmLowpSupported(c.train.precision))
    return InvalidArgumentError("train.precision \"{}\": oneDNN has no {} matrix multiply on this CPU; use \"fp32\"",
                                PrecisionName(c.train.precision), PrecisionName(c.train.precision));
  t->model_->SetPrecision(c.train.precision);
  if (c.train.precision == Precision::kF16) t->scaler_ = std::make_unique<DynamicLossScaler>(c.train.loss_scale);

  const std::string& run = t->options_.run_dir;
  std::error_code ec;
  std::filesystem::create_directories(run, ec);
  if (ec) return IoError("cannot create run directory {}: {}", run, ec.message());
  if (t->options_.resume) {
    ASSIGN_OR_RETURN(std::string dir, LatestCheckpoint(run));
    RETURN_IF_ERROR(CheckCheckpointTokenizer(dir, t->tokenizer_));
    ASSIGN_OR_RETURN(TrainerState st, t->LoadState(dir));
    if (t->scaler_ && !st.loss_scaler.is_null()) {
      Status s = t->scaler_->Restore(LossScalerState{st.loss_scaler.value("scale", 0.0),
                                                     st.loss_scaler.value("growth_tracker", int64_t{-1}),
                                                     st.loss_scaler.value("hysteresis_tracker", int64_t{0})});
      if (!s.ok()) return s.WithContext(dir + "/trainer_state.safetensors");
    }
    ASSIGN_OR_RETURN(LoaderPosition pos, LoaderPositionFromJson(st.loader));
    RETURN_IF_ERROR(t->train_->Seek(pos));
    t->step_ = st.step;
    t->tokens_seen_ = st.tokens_seen;
    t->last_checkpoint_ = dir;
    if (!t->options_.quiet) std::printf("resuming from %s (step %lld)\n", dir.c_str(), (long long)st.step);
  } else {
    if (LatestCheckpoint(run).ok())
      return InvalidArgumentError("{} already holds checkpoints; pass --resume to continue that "
                                  "run or choose another --out",
                                  run);
    if (t->shard_.tp_size > 1) {  // the single process's numbers, sliced (by name: stages too)
      ParamStore whole(c.model);
      whole.Initialize(c.model, c.train.seed);
      ShardParams(c.model, t->shard_, whole, &t->model_->params());
    } else {
      t->model_->params().Initialize(c.model, c.train.seed);
    }
  }
  if (t->lead()) RETURN_IF_ERROR(WriteFileAtomic(run + "/train_config.json", c.ToJson().dump(2) + "\n"));
  const int64_t n = c.train.grad_accum * c.train.batch_size * c.train.seq_len;
  t->tokens_.resize(n);
  t->targets_.resize(n);
  t->docs_.resize(n);
  return t;
}

Status Trainer::TrainStep(StepRecord* rec) {
  const TrainSection& tc = config_.train;
  const int64_t B = tc.batch_size, T = tc.seq_len, per = B * T;
  // Every rank reads the global micro-batches (the loader's stream is cheap
  // to walk) and runs its own rows of each.
  const int64_t rows = B / groups_.layout.dp, first = groups_.dp_rank * rows * T;
  std::vector<Batch> micro;
  for (int64_t a = 0; a < tc.grad_accum; ++a) {
    train_->Next(tokens_.data() + a * per, targets_.data() + a * per, docs_.data() + a * per);
    micro.push_back(Batch{rows, T, tokens_.data() + a * per + first, targets_.data() + a * per + first,
                          docs_.data() + a * per + first});
  }
  StepParallel parallel;
  if (world_->size() > 1) {
    parallel.dp = sync_.get();
    parallel.world = world_.get();
    parallel.shard = shard_;
    parallel.count_loss = groups_.tp_rank == 0;
    for (int32_t target : targets_) parallel.global_targets += target != -1;
  }
  tokens_seen_ += tc.grad_accum * per;
  const double lr = LrAt(config_.optim.schedule, step_);
  // A fresh, reproducible rounding seed per step (a resumed run draws the same).
  model_->SetStochasticRounding(tc.stochastic_rounding, (tc.seed + 1) * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(step_));
  StepResult r;
  if (groups_.layout.pp > 1) {
    ASSIGN_OR_RETURN(r, PipelineAccumulateAndStep(model_.get(), optimizer_.get(), groups_.pp.get(), micro,
                                                  config_.optim.grad_clip, lr, scaler_.get(), &parallel));
  } else {
    ASSIGN_OR_RETURN(r, AccumulateAndStep(model_.get(), optimizer_.get(), micro, config_.optim.grad_clip, lr,
                                          scaler_.get(), world_->size() > 1 ? &parallel : nullptr));
  }
  *rec = StepRecord{step_ + 1, r.loss, lr, r.grad_norm, !r.finite, r.loss_scale, r.overflow};
  if (r.overflow && std::isfinite(r.loss)) {
    ++skipped_;  // fp16: an overflow is routine; the scaler has backed off
  } else if (!r.finite) {
    if (config_.train.nan_policy == NanPolicy::kStop)
      return Status(StatusCode::kInternal,
                    fmt::format("step {}: the loss is {} and the gradient norm {}; stopping. Lower "
                                "optim.lr, raise optim.warmup_steps, or set train.nan_policy to "
                                "\"skip\" to skip such steps",
                                step_ + 1, r.loss, r.grad_norm));
    ++skipped_;
  }
  ++step_;
  return Status::Ok();
}

StatusOr<double> Trainer::Evaluate() {
  if (!val_) return InvalidArgumentError("no validation split (data.val_fraction is 0)");
  val_->Reset();
  const int64_t B = config_.train.batch_size, T = config_.train.seq_len;
  const int64_t rows = B / groups_.layout.dp, first = groups_.dp_rank * rows * T;  // this rank's rows
  std::vector<int32_t> tok(B * T), tgt(B * T), doc(B * T);
  double sums[2] = {0, 0};  // loss, targets
  for (int64_t i = 0; i < std::max<int64_t>(1, config_.train.eval_batches); ++i) {
    val_->Next(tok.data(), tgt.data(), doc.data());
    const Batch mine{rows, T, tok.data() + first, tgt.data() + first, doc.data() + first};
    ASSIGN_OR_RETURN(LossResult r, groups_.layout.pp > 1 ? PipelineForward(model_.get(), groups_.pp.get(), mine)
                                                         : model_->Forward(mine));
    sums[0] += r.loss_sum;
    sums[1] += static_cast<double>(r.n_targets);
  }
  if (sync_) RETURN_IF_ERROR(sync_->SumOverGroup(sums, 2));
  return sums[1] > 0 ? sums[0] / sums[1] : 0.0;
}

void Trainer::Sample() {
  const TrainSection& tc = config_.train;
  // Tensor parallel: logits are split by vocabulary; pipeline: by stage.
  // Samples need the whole model.
  if (tc.sample_tokens <= 0 || !lead() || shard_.tp_size > 1 || groups_.layout.pp > 1) return;
  const Tokenizer* tok = tokenizer_ ? tokenizer_->tokenizer.get() : nullptr;
  const bool bytes = !tok && config_.model.vocab_size == ByteTokenizer::kVocabSize;
  std::vector<int32_t> prompt;
  int32_t stop = -1;
  if (tok) {
    prompt = tok->Encode(tc.sample_prompt, /*add_special_tokens=*/false);
    stop = tokenizer_->eot_id;
    // No prompt: start a fresh document, as after the end of the previous one.
    if (prompt.empty()) prompt = {stop};
  } else if (bytes) {
    prompt = tc.sample_prompt.empty() ? std::vector<int32_t>{'\n'} : ByteTokenizer::Encode(tc.sample_prompt);
    stop = ByteTokenizer::kEndOfText;
  } else {
    prompt = {0};
  }
  Rng rng(tc.seed * 7919 + static_cast<uint64_t>(step_));  // stateless: resume-safe
  SampleOptions so{tc.sample_tokens, tc.sample_temperature, tc.sample_top_k, stop};
  StatusOr<std::vector<int32_t>> out = SampleTokens(model_.get(), prompt, so, &rng);
  if (!out.ok() || options_.quiet) return;
  if (tok || bytes) {
    if (!out->empty() && out->back() == stop) out->pop_back();
    const std::string text = tok ? tok->Decode(*out) : ByteTokenizer::Decode(*out);
    std::printf("---- sample at step %lld ----\n%s%s\n----\n", (long long)step_,
                tc.sample_prompt.c_str(), text.c_str());
  } else {
    std::printf("---- sample at step %lld (token ids) ----\n%s\n", (long long)step_,
                fmt::format("{}", fmt::join(*out, " ")).c_str());
  }
}

Status Trainer::Checkpoint() {
  TrainerState st{step_, tokens_seen_, ToJson(train_->position()), config_.ToJson(), nullptr};
  if (scaler_) {
    const LossScalerState& l = scaler_->state();
    st.loss_scaler = {{"scale", l.scale}, {"growth_tracker", l.growth_tracker},
                      {"hysteresis_tracker", l.hysteresis_tracker}};
  }
  // Assemble the whole model's state (ZeRO-1 shards, then TP slices and
  // pipeline stages), so a
  // checkpoint is a single process's and resumes on any layout.
  const Transformer* model = model_.get();
  const AdamWOptimizer* state = optimizer_.get();
  std::unique_ptr<AdamWOptimizer> local, whole;
  std::unique_ptr<Transformer> whole_model;
  if (sync_ && sync_->zero1()) {
    local = std::make_unique<AdamWOptimizer>(model_->params(), config_.optim);
    RETURN_IF_ERROR(sync_->GatherOptimizerState(*optimizer_, local.get()));
    state = local.get();
  }
  if (shard_.tp_size > 1 || groups_.layout.pp > 1) {  // every slice and stage of this replica, summed
    ASSIGN_OR_RETURN(whole_model, Transformer::Create(config_.model));
    whole = std::make_unique<AdamWOptimizer>(whole_model->params(), config_.optim);
    whole->set_step(state->step());
    const ParamStore &from = model_->params(), &to = whole_model->params();
    Communicator* g = groups_.model.get();
    RETURN_IF_ERROR(GatherFull(config_.model, shard_, from, from.data(), g, to, whole_model->params().data()));
    RETURN_IF_ERROR(GatherFull(config_.model, shard_, from, state->m(), g, to, whole->m()));
    RETURN_IF_ERROR(GatherFull(config_.model, shard_, from, state->v(), g, to, whole->v()));
    model = whole_model.get();
    state = whole.get();
  }
  if (!lead()) return Status::Ok();
  ASSIGN_OR_RETURN(last_checkpoint_, SaveCheckpoint(options_.run_dir, *model, *state, st,
                                                    config_.train.keep_checkpoints,
                                                    tokenizer_ ? &*tokenizer_ : nullptr));
  if (!options_.quiet) std::printf("saved checkpoint %s\n", last_checkpoint_.c_str());
  return Status::Ok();
}

StatusOr<TrainerState> Trainer::LoadState(const std::string& dir) {
  const ModelConfig& mc = config_.model;
  const bool zero1 = sync_ && sync_->zero1();
  const bool stage = groups_.layout.pp > 1;
  if (shard_.tp_size == 1 && !stage && !zero1) return LoadCheckpoint(dir, model_.get(), optimizer_.get());
  // The whole model's state, then this rank's TP slice or pipeline stage,
  // then its ZeRO-1 shard.
  ASSIGN_OR_RETURN(std::unique_ptr<Transformer> whole_model, Transformer::Create(mc));
  AdamWOptimizer whole(whole_model->params(), config_.optim);
  ASSIGN_OR_RETURN(TrainerState st, LoadCheckpoint(dir, whole_model.get(), &whole));
  AdamWOptimizer local(model_->params(), config_.optim);
  local.set_step(whole.step());
  const ParamStore &from = whole_model->params(), &to = model_->params();
  // By the names this rank holds: its stage's tensors, sliced for its TP rank.
  auto slice = [&](const float* whole_values, float* local_values) {
    ReadShardFromFull(mc, shard_, from, whole_values, to, local_values);
  };
  slice(from.data(), model_->params().data());
  slice(whole.m(), local.m());
  slice(whole.v(), local.v());
  if (zero1) {
    sync_->ScatterOptimizerState(local, optimizer_.get());
  } else {
    std::memcpy(optimizer_->m(), local.m(), local.size() * sizeof(float));
    std::memcpy(optimizer_->v(), local.v(), local.size() * sizeof(float));
    optimizer_->set_step(local.step());
  }
  return st;
}

Status Trainer::Run() {
  const TrainSection& tc = config_.train;
  const int64_t total = tc.total_steps();
  std::optional<MetricsLog> metrics;  // rank 0's
  if (lead()) {
    ASSIGN_OR_RETURN(MetricsLog m, MetricsLog::Open(options_.run_dir, options_.resume ? step_ : 0));
    metrics.emplace(std::move(m));
  }
  const double flops_per_token = TrainingFlopsPerToken(config_.model, tc.seq_len);
  // MFU against the given peak or this precision's measured GEMM rate, on
  // every rank of the job.
  const double peak =
      (tc.peak_tflops > 0 ? tc.peak_tflops * 1e12 : MeasuredGemmGflops(tc.precision) * 1e9) * world_->size();
  if (!options_.quiet)
    std::printf("seek train: %s, %lld parameters, %s, %lld steps of %lld tokens, %d threads -> %s\n",
                config_.model.family.c_str(), (long long)model_->params().num_params(),
                PrecisionName(tc.precision), (long long)total, (long long)tc.tokens_per_step(), NumThreads(),
                options_.run_dir.c_str());
  // Only when asked for, so the default output stays as it was.
  if (!options_.quiet && tc.recompute.mode != Recompute::kNone)
    std::printf("activation checkpointing: %s, every %lld block(s); %.1f MB of activations per "
                "micro-batch\n",
                RecomputeName(tc.recompute.mode), (long long)tc.recompute.every,
                model_->ActivationBytesFor(tc.batch_size, tc.seq_len) / 1e6);
  const auto start = Clock::now();
  auto window_start = start;
  int64_t window_tokens = 0, window_steps = 0, steps_this_run = 0;
  double window_loss = 0, window_comm = 0;
  while (step_ < total) {
    StepRecord rec;
    RETURN_IF_ERROR(TrainStep(&rec));
    history_.push_back(rec);
    if (sync_) window_comm += sync_->exposed_wait_s();
    window_tokens += tc.tokens_per_step();
    if (!rec.skipped) {
      window_loss += rec.loss;
      ++window_steps;
    }
    ++steps_this_run;
    const bool last = step_ == total;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    bool out_of_time = tc.time_limit_s > 0 && elapsed >= tc.time_limit_s;
    if (tc.time_limit_s > 0 && world_->size() > 1) {  // clocks differ: stop together or not at all
      ASSIGN_OR_RETURN(double any, world_->AllReduceMax(out_of_time ? 1.0 : 0.0));
      out_of_time = any > 0;
    }
    const bool stop_here = (options_.max_steps_this_run > 0 &&
                            steps_this_run >= options_.max_steps_this_run) || out_of_time;
    if (step_ % tc.log_every == 0 || last || stop_here) {
      const double secs = std::chrono::duration<double>(Clock::now() - window_start).count();
      const double tps = window_tokens / std::max(secs, 1e-9);
      const double mfu = tps * flops_per_token / peak;
      const double eta = static_cast<double>(total - step_) * tc.tokens_per_step() / std::max(tps, 1e-9);
      const double loss_avg = window_steps ? window_loss / window_steps : rec.loss;
      const double exposed_comm = window_comm / std::max<double>(1.0, window_tokens / static_cast<double>(tc.tokens_per_step()));
      if (metrics) RETURN_IF_ERROR(metrics->Append({{"step", step_}, {"loss", rec.loss}, {"loss_avg", loss_avg},
                                      {"lr", rec.lr},
                                      {"grad_norm", rec.grad_norm}, {"tokens", tokens_seen_},
                                      {"tokens_per_s", tps}, {"mfu", mfu},
                                      {"skipped_steps", skipped_}, {"elapsed_s", elapsed},
                                      {"precision", PrecisionName(tc.precision)},
                                      {"loss_scale", rec.loss_scale}, {"peak_rss_mb", PeakRssMb()},
                                      {"ranks", world_->size()}, {"exposed_comm_s", exposed_comm}}));
      if (!options_.quiet) {
        std::string fp16 = scaler_ ? fmt::format(" | scale {:g} | skipped {}", rec.loss_scale, skipped_) : "";
        if (sync_)  // the gradient reduction's wait that backward did not hide
          fp16 += fmt::format(" | dp {}{} comm {:.0f} ms", groups_.layout.dp, sync_->zero1() ? " zero1" : "",
                              1e3 * exposed_comm);
        std::printf("step %6lld/%lld | loss %.4f | avg %.4f | lr %.2e | grad %.3f | %.0f tok/s | MFU %.1f%% | "
                    "%s%s | mem %.0f MB | ETA %s%s\n",
                    (long long)step_, (long long)total, rec.loss, loss_avg, rec.lr, rec.grad_norm, tps,
                    100 * mfu, PrecisionName(tc.precision), fp16.c_str(), PeakRssMb(), Duration(eta).c_str(),
                    rec.overflow ? " | skipped (fp16 overflow)" : rec.skipped ? " | skipped (non-finite)" : "");
      }
      std::fflush(stdout);
      window_tokens = window_steps = 0;
      window_loss = window_comm = 0;
    }
    const bool logged = window_tokens == 0;
    if (val_ && ((tc.eval_every > 0 && step_ % tc.eval_every == 0) || last || stop_here)) {
      ASSIGN_OR_RETURN(double vl, Evaluate());
      if (metrics) RETURN_IF_ERROR(metrics->Append({{"step", step_}, {"val_loss", vl}, {"val_ppl", std::exp(vl)}}));
      if (!options_.quiet) std::printf("step %6lld | validation loss %.4f | perplexity %.2f\n",
                                       (long long)step_, vl, std::exp(vl));
    }
    if ((tc.sample_every > 0 && step_ % tc.sample_every == 0) || last) Sample();
    if ((tc.checkpoint_every > 0 && step_ % tc.checkpoint_every == 0) || last || stop_here)
      RETURN_IF_ERROR(Checkpoint());
    if (stop_here) break;
    // Evaluation, samples and checkpoints are not training: the next window's
    // tokens/s starts after them.
    if (logged) window_start = Clock::now();
  }
  if (!lead()) return Status::Ok();
  StatusOr<std::string> png = PlotLoss(options_.run_dir);
  if (!options_.quiet) {
    if (png.ok())
      std::printf("loss plot: %s\n", png->c_str());
    else
      std::printf("loss plot not drawn: %s\n", png.status().ToString().c_str());
    std::printf("%s", profile::Report().c_str());  // SEEK_PROFILE=1: where the steps' time went
  }
  return Status::Ok();
}

}  // namespace seek
