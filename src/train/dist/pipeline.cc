#include "train/dist/pipeline.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "core/profile.h"
#include "kernels/adamw.h"
#include "model/tensor_parallel.h"

namespace seek {

namespace {

// Point-to-point tags: one per (micro-batch, direction), and the tied
// embedding's (sent after every other message of the step has arrived).
// MPI guarantees tags up to 32767.
constexpr int kMaxMicroBatches = 16000;
int ActivationTag(int micro_batch) {
  return 2 * micro_batch;
}
int GradientTag(int micro_batch) {
  return 2 * micro_batch + 1;
}
constexpr int kTiedGradientTag = 32767;
constexpr int kEvalTag = 32766;  // PipelineForward's activations

// The sum of one double per rank, in rank order on every rank (so all get
// the same bits; an f32 all-reduce would round partial sums).
StatusOr<double> SumInRankOrder(Communicator* comm, double value) {
  double sum = 0;
  for (int r = 0; r < comm->size(); ++r) {
    double v = value;
    RETURN_IF_ERROR(comm->Broadcast(&v, sizeof v, r));
    sum += v;
  }
  return sum;
}

// The tied embedding's gradient, first stage + last stage, on both.
Status SumTiedGradients(Transformer* model, Communicator* pipe) {
  ParamStore& params = model->params();
  const int last = pipe->size() - 1;
  if (!model->config().tie_embeddings || last == 0) return Status::Ok();
  if (!params.first_stage() && !params.last_stage()) return Status::Ok();
  const ParamInfo* p = params.Find("embed.tokens");
  float* g = params.grad() + p->offset;
  const int peer = params.first_stage() ? last : 0;
  std::vector<float> other(static_cast<size_t>(p->numel()));
  const int64_t bytes = p->numel() * static_cast<int64_t>(sizeof(float));
  ASSIGN_OR_RETURN(RequestPtr recv, pipe->IRecv(other.data(), bytes, peer, kTiedGradientTag));
  ASSIGN_OR_RETURN(RequestPtr send, pipe->ISend(g, bytes, peer, kTiedGradientTag));
  RETURN_IF_ERROR(pipe->Wait(*recv, "pipeline tied-embedding gradient"));
  RETURN_IF_ERROR(pipe->Wait(*send, "pipeline tied-embedding gradient"));
  for (int64_t i = 0; i < p->numel(); ++i) g[i] += other[i];  // a + b == b + a: equal copies
  return Status::Ok();
}

// A step's messages: per micro-batch x_in and dx [N, C] f32 (not on the
// first stage), x_out and dy [N, C] f32 (not on the last), and the requests.
struct StepMessages {
  std::vector<std::vector<float>> x_in, dy, x_out, dx;
  std::vector<RequestPtr> recv_x, recv_dy, sends;
};

// The stage's side of 1F1B over the step's micro-batches; returns the loss
// sum (non-zero on the last stage only).
StatusOr<double> RunOneFOneB(Transformer* model, Communicator* pipe, const std::vector<Batch>& mbs,
                             float grad_scale, StepMessages& msg) {
  const ParamStore& params = model->params();
  const bool first = params.first_stage(), last = params.last_stage();
  const int stage = pipe->rank(), m = static_cast<int>(mbs.size());
  const int64_t C = model->config().hidden;
  auto bytes = [&](int i) { return mbs[i].B * mbs[i].T * C * static_cast<int64_t>(sizeof(float)); };
  auto& [x_in, dy, x_out, dx, recv_x, recv_dy, sends] = msg;
  for (auto* v : {&x_in, &dy, &x_out, &dx}) v->resize(m);
  recv_x.resize(m);
  recv_dy.resize(m);
  for (int i = 0; i < m; ++i) {
    const size_t n = static_cast<size_t>(bytes(i) / sizeof(float));
    if (!first) {
      x_in[i].resize(n);
      dx[i].resize(n);
      ASSIGN_OR_RETURN(recv_x[i],
                       pipe->IRecv(x_in[i].data(), bytes(i), stage - 1, ActivationTag(i)));
    }
    if (!last) {
      x_out[i].resize(n);
      dy[i].resize(n);
      ASSIGN_OR_RETURN(recv_dy[i], pipe->IRecv(dy[i].data(), bytes(i), stage + 1, GradientTag(i)));
    }
  }
  double loss_sum = 0;
  // Activation slots (the model's; the caller chooses how many): micro-batch
  // i uses slot i % slots, and holds[k] is the micro-batch whose activations
  // slot k has. A shape change re-plans the model's memory and loses every
  // slot, so then one slot serves all.
  bool same_shape = true;
  for (const Batch& b : mbs) same_shape &= b.B == mbs[0].B && b.T == mbs[0].T;
  const int slots = same_shape ? model->activation_slots() : 1;
  std::vector<int> holds(slots, -1);
  for (const PipeOp& op : OneFOneBSchedule(pipe->size(), stage, m)) {
    const int i = op.micro_batch;
    const float* in = first ? nullptr : x_in[i].data();
    if (op.kind == PipeOp::kForward) {
      if (!first) RETURN_IF_ERROR(pipe->Wait(*recv_x[i], "pipeline activations"));
      model->UseActivationSlot(i % slots);
      ASSIGN_OR_RETURN(LossResult l, model->StageForward(mbs[i], in, grad_scale));
      holds[i % slots] = i;
      loss_sum += l.loss_sum;
      if (!last) {
        std::memcpy(x_out[i].data(), model->stage_output(), bytes(i));
        ASSIGN_OR_RETURN(RequestPtr s,
                         pipe->ISend(x_out[i].data(), bytes(i), stage + 1, ActivationTag(i)));
        sends.push_back(std::move(s));
      }
    } else {
      if (!last) RETURN_IF_ERROR(pipe->Wait(*recv_dy[i], "pipeline activation gradients"));
      model->UseActivationSlot(i % slots);
      if (holds[i % slots] != i) {
        PROFILE_SCOPE("pipeline recompute");
        RETURN_IF_ERROR(model->StageForward(mbs[i], in, grad_scale).status());
      }
      RETURN_IF_ERROR(model->StageBackward(mbs[i], last ? nullptr : dy[i].data(),
                                           first ? nullptr : dx[i].data()));
      holds[i % slots] = -1;  // backward overwrote part of the activations
      if (!first) {
        ASSIGN_OR_RETURN(RequestPtr s,
                         pipe->ISend(dx[i].data(), bytes(i), stage - 1, GradientTag(i)));
        sends.push_back(std::move(s));
      }
    }
  }
  for (RequestPtr& s : sends) RETURN_IF_ERROR(pipe->Wait(*s, "pipeline sends"));
  return loss_sum;
}

StatusOr<double> RunOneFOneB(Transformer* model, Communicator* pipe, const std::vector<Batch>& mbs,
                             float grad_scale) {
  auto msg = std::make_unique<StepMessages>();
  StatusOr<double> r = RunOneFOneB(model, pipe, mbs, grad_scale, *msg);
  // After an error the job ends (communicator.h). Pending requests are left
  // alone: destroying one may wait for a peer that never comes (unless a
  // wait has timed out), and freeing a buffer MPI may still write into
  // would corrupt memory.
  if (!r.ok()) {
    for (auto* v : {&msg->recv_x, &msg->recv_dy, &msg->sends})
      for (RequestPtr& q : *v) (void)q.release();
    (void)msg.release();
  }
  return r;
}

}  // namespace

StatusOr<StepResult> PipelineAccumulateAndStep(Transformer* model, AdamWOptimizer* optimizer,
                                               Communicator* pipe,
                                               const std::vector<Batch>& micro_batches,
                                               double grad_clip, double lr,
                                               DynamicLossScaler* scaler, const StepParallel* parallel) {
  ParamStore& params = model->params();
  GradientSync* sync = parallel ? parallel->dp : nullptr;
  const int pp = pipe->size(), stage = pipe->rank();
  ASSIGN_OR_RETURN(ModelShard expected, PipelineStageShard(model->config(), pp, stage));
  if (params.layer_begin() != expected.layer_begin || params.layer_end() != expected.layer_end)
    return InvalidArgumentError("pipeline stage {} of {} holds layers [{}, {}); expected [{}, {})",
                                stage, pp, params.layer_begin(), params.layer_end(),
                                expected.layer_begin, expected.layer_end);
  if (micro_batches.size() > kMaxMicroBatches)
    return InvalidArgumentError("{} micro-batches per step; the pipeline takes at most {}",
                                micro_batches.size(), kMaxMicroBatches);
  // Every stage sees the same batches, so all refuse a bad one here, before
  // any message.
  StepResult r;
  for (const Batch& b : micro_batches) {
    RETURN_IF_ERROR(model->ValidateBatch(b));
    if (b.targets == nullptr) return InvalidArgumentError("pipeline micro-batches need targets");
    for (int64_t i = 0; i < b.B * b.T; ++i) r.n_targets += b.targets[i] != -1;
  }
  if (parallel) r.n_targets = parallel->global_targets;
  {
    PROFILE_SCOPE("zero gradients");
    params.ZeroGrad();
  }
  r.loss_scale = scaler ? scaler->scale() : 1.0;
  const float scale =
      r.n_targets ? static_cast<float>(r.loss_scale / static_cast<double>(r.n_targets)) : 0.f;
  ASSIGN_OR_RETURN(double local_loss, RunOneFOneB(model, pipe, micro_batches, scale));
  RETURN_IF_ERROR(SumTiedGradients(model, pipe));
  AdamWOptimizer::Clip clip;
  if (parallel) {
    if (sync) {  // the data-parallel sum, after the whole backward (no overlap with 1F1B yet)
      sync->BeginBackward(model);
      RETURN_IF_ERROR(sync->FinishBackward(model));
    }
    PROFILE_SCOPE("gradient norm");
    double sums[2];  // local_loss: the last stage's
    RETURN_IF_ERROR(SumOverJob(*parallel, params, local_loss, sums));
    r.loss = r.n_targets ? sums[0] / r.n_targets : 0.0;
    clip = AdamWOptimizer::ClipFromSumOfSquares(sums[1], grad_clip, 1.0 / r.loss_scale);
  } else {
    ASSIGN_OR_RETURN(double loss_sum, SumInRankOrder(pipe, local_loss));  // the last stage's
    r.loss = r.n_targets ? loss_sum / r.n_targets : 0.0;
    PROFILE_SCOPE("gradient norm");
    ASSIGN_OR_RETURN(double sum_sq, SumInRankOrder(pipe, TpLocalGradSquares(params, model->shard())));
    clip = AdamWOptimizer::ClipFromSumOfSquares(sum_sq, grad_clip, 1.0 / r.loss_scale);
  }
  RETURN_IF_ERROR(ApplyUpdate(&r, clip, &params, optimizer, lr, scaler, sync));
  return r;
}

StatusOr<LossResult> PipelineForward(Transformer* model, Communicator* pipe, const Batch& b) {
  RETURN_IF_ERROR(model->ValidateBatch(b));
  const int stage = pipe->rank(), pp = pipe->size();
  const int64_t n = b.B * b.T * model->config().hidden;
  std::vector<float> x_in(stage > 0 ? n : 0);
  if (stage > 0) RETURN_IF_ERROR(pipe->Recv(x_in.data(), n * sizeof(float), stage - 1, kEvalTag));
  ASSIGN_OR_RETURN(LossResult r, model->StageForward(b, stage > 0 ? x_in.data() : nullptr));
  if (stage + 1 < pp) RETURN_IF_ERROR(pipe->Send(model->stage_output(), n * sizeof(float), stage + 1, kEvalTag));
  // The last stage's loss to every stage, as sums in rank order (others add 0).
  ASSIGN_OR_RETURN(r.loss_sum, SumInRankOrder(pipe, stage + 1 == pp ? r.loss_sum : 0.0));
  ASSIGN_OR_RETURN(double targets, SumInRankOrder(pipe, stage + 1 == pp ? static_cast<double>(r.n_targets) : 0.0));
  r.n_targets = static_cast<int64_t>(targets);
  return r;
}

Status GatherStagesByName(const ModelConfig& config, const ParamStore& stage, bool gradients,
                          Communicator* pipe, int root, ParamStore* whole) {
  if (pipe->rank() == root && whole == nullptr) return InvalidArgumentError("GatherStagesByName needs a store on root");
  return GatherStagesByName(config, stage, gradients ? stage.grad() : stage.data(), pipe, root, whole,
                            whole ? (gradients ? whole->grad() : whole->data()) : nullptr);
}

Status GatherStagesByName(const ModelConfig& config, const ParamStore& stage, const float* base,
                          Communicator* pipe, int root, const ParamStore* whole, float* out) {
  const int pp = pipe->size();
  auto bytes = [](const ParamInfo& p) { return p.numel() * static_cast<int64_t>(sizeof(float)); };
  auto skipped = [](const std::vector<std::string>& dup, const std::string& name) {
    return std::find(dup.begin(), dup.end(), name) != dup.end();
  };
  // Tag: 1 + the tensor's index in its stage's layout.
  std::vector<RequestPtr> pending;
  if (pipe->rank() != root) {
    const auto& infos = stage.infos();
    for (size_t k = 0; k < infos.size(); ++k) {
      if (skipped(stage.tied_duplicates(), infos[k].name)) continue;
      ASSIGN_OR_RETURN(RequestPtr s, pipe->ISend(base + infos[k].offset, bytes(infos[k]), root,
                                                 static_cast<int>(k) + 1));
      pending.push_back(std::move(s));
    }
  } else {
    if (whole == nullptr || out == nullptr) return InvalidArgumentError("GatherStagesByName needs a store on root");
    for (int r = 0; r < pp; ++r) {
      ASSIGN_OR_RETURN(ModelShard shard, PipelineStageShard(config, pp, r));
      const std::vector<ParamInfo> infos = ParamStore::Layout(config, shard);
      const std::vector<std::string> dup = ParamStore::TiedDuplicates(config, shard);
      for (size_t k = 0; k < infos.size(); ++k) {
        if (skipped(dup, infos[k].name)) continue;
        const ParamInfo* w = whole->Find(infos[k].name);
        if (w == nullptr)
          return InvalidArgumentError("the whole store has no {} (another config?)", infos[k].name);
        if (r == root) {
          std::memcpy(out + w->offset, base + stage.Find(infos[k].name)->offset, bytes(*w));
          continue;
        }
        ASSIGN_OR_RETURN(RequestPtr q,
                         pipe->IRecv(out + w->offset, bytes(*w), r, static_cast<int>(k) + 1));
        pending.push_back(std::move(q));
      }
    }
  }
  for (RequestPtr& q : pending) RETURN_IF_ERROR(pipe->Wait(*q, "pipeline gather"));
  return Status::Ok();
}

}  // namespace seek
