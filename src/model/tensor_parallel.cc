#include "model/tensor_parallel.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "core/check.h"
#include "kernels/adamw.h"
#include "core/threads.h"

namespace seek {
namespace {

bool EndsWith(const std::string& s, const char* suffix) {
  const size_t n = std::strlen(suffix);
  return s.size() >= n && s.compare(s.size() - n, n, suffix) == 0;
}

// One rectangle of a tensor: `rows` rows of `cols` floats, at full_off with
// leading dimension full_ld in the full tensor and local_off / local_ld in
// the rank's.
struct Block {
  int64_t rows, cols, full_off, full_ld, local_off, local_ld;
};

// The rectangles that make up this rank's slice of tensor `full` (its local
// counterpart is `local`); empty for replicated tensors.
std::vector<Block> SliceBlocks(const ModelConfig& c, const ModelShard& s, const ParamInfo& full,
                               const ParamInfo& local) {
  const std::string& n = full.name;
  const int64_t width = full.shape.ndim() == 2 ? full.shape[1] : 1;  // row length
  auto rows = [&](int64_t full_row, int64_t local_row, int64_t count) {
    return Block{count, width, full_row * width, width, local_row * width, width};
  };
  const int64_t D = c.head_dim(), tp = s.tp_size, r = s.tp_rank;
  if (n == "embed.tokens" || n == "lm_head.weight") {
    const VocabRange v = TpVocabRange(c, s);
    if (v.valid <= 0) return {};
    return {rows(v.begin, 0, v.valid)};
  }
  if (EndsWith(n, ".attn.qkv.weight") || EndsWith(n, ".attn.qkv.bias")) {
    const int64_t hl = c.n_head / tp, kvl = c.n_kv_head / tp;
    const int64_t k0 = c.n_head * D, v0 = k0 + c.n_kv_head * D;
    return {rows(r * hl * D, 0, hl * D), rows(k0 + r * kvl * D, hl * D, kvl * D),
            rows(v0 + r * kvl * D, (hl + kvl) * D, kvl * D)};
  }
  if (EndsWith(n, ".mlp.up.weight") || EndsWith(n, ".mlp.up.bias")) {
    const int64_t il = c.intermediate / tp;
    if (c.arch.mlp == MlpKind::kSwiGlu)  // gate rows, then up rows
      return {rows(r * il, 0, il), rows(c.intermediate + r * il, il, il)};
    return {rows(r * il, 0, il)};
  }
  auto cols = [&](int64_t begin, int64_t count) {
    return Block{full.shape[0], count, begin, full.shape[1], 0, local.shape[1]};
  };
  if (EndsWith(n, ".attn.out.weight")) {
    const int64_t hl = c.n_head / tp;
    return {cols(r * hl * D, hl * D)};
  }
  if (EndsWith(n, ".mlp.down.weight")) {
    const int64_t il = c.intermediate / tp;
    return {cols(r * il, il)};
  }
  return {};
}

template <typename Fn>
void ForEachTensor(const ParamStore& full, const ParamStore& local, Fn&& fn) {
  for (const ParamInfo& l : local.infos()) {
    const ParamInfo* f = full.Find(l.name);
    CHECK_MSG(f != nullptr, l.name.c_str());
    fn(*f, l);
  }
}

}  // namespace

Status ValidateTensorParallel(const ModelConfig& c, const ModelShard& s) {
  const int64_t tp = s.tp_size;
  if (tp < 1 || s.tp_rank < 0 || s.tp_rank >= tp)
    return InvalidArgumentError("tensor-parallel rank {} of size {}: need 0 <= rank < size",
                                s.tp_rank, tp);
  if (c.n_head % tp != 0)
    return InvalidArgumentError("tensor parallel size {} does not divide n_head = {}", tp,
                                c.n_head);
  if (c.n_kv_head % tp != 0)
    return InvalidArgumentError(
        "tensor parallel size {} does not divide n_kv_head = {} (KV heads "
        "are split across ranks)",
        tp, c.n_kv_head);
  if (c.intermediate % tp != 0)
    return InvalidArgumentError(
        "tensor parallel size {} does not divide the MLP width "
        "intermediate = {}",
        tp, c.intermediate);
  if (tp > c.vocab_size)
    return InvalidArgumentError("tensor parallel size {} exceeds vocab_size = {}", tp,
                                c.vocab_size);
  return Status::Ok();
}

VocabRange TpVocabRange(const ModelConfig& c, const ModelShard& s) {
  VocabRange v;
  v.local = (c.vocab_size + s.tp_size - 1) / s.tp_size;
  v.begin = s.tp_rank * v.local;
  v.valid = std::clamp<int64_t>(c.vocab_size - v.begin, 0, v.local);
  return v;
}

ModelConfig TpLocalConfig(const ModelConfig& c, const ModelShard& s) {
  if (s.tp_size == 1) return c;
  ModelConfig l = c;
  l.explicit_head_dim = c.head_dim();
  l.n_head = c.n_head / s.tp_size;
  l.n_kv_head = c.n_kv_head / s.tp_size;
  l.intermediate = c.intermediate / s.tp_size;
  l.vocab_size = TpVocabRange(c, s).local;
  return l;
}

std::vector<ParamInfo> TpLayout(const ModelConfig& c, const ModelShard& s) {
  return ParamStore::Layout(TpLocalConfig(c, s));
}

bool TpReplicated(const std::string& n) {
  return !(n == "embed.tokens" || n == "lm_head.weight" || EndsWith(n, ".attn.qkv.weight") ||
           EndsWith(n, ".attn.qkv.bias") || EndsWith(n, ".mlp.up.weight") ||
           EndsWith(n, ".mlp.up.bias") || EndsWith(n, ".attn.out.weight") ||
           EndsWith(n, ".mlp.down.weight"));
}

void ReadShardFromFull(const ModelConfig& c, const ModelShard& s, const ParamStore& full,
                       const float* full_values, const ParamStore& local, float* local_values) {
  ForEachTensor(full, local, [&](const ParamInfo& f, const ParamInfo& l) {
    const float* src = full_values + f.offset;
    float* dst = local_values + l.offset;
    if (TpReplicated(l.name)) {
      CHECK(f.numel() == l.numel());
      std::copy(src, src + l.numel(), dst);
      return;
    }
    std::fill(dst, dst + l.numel(), 0.f);  // padded vocabulary rows stay 0
    for (const Block& b : SliceBlocks(c, s, f, l))
      for (int64_t r = 0; r < b.rows; ++r)
        std::copy(src + b.full_off + r * b.full_ld, src + b.full_off + r * b.full_ld + b.cols,
                  dst + b.local_off + r * b.local_ld);
  });
}

void WriteShardIntoFull(const ModelConfig& c, const ModelShard& s, const ParamStore& local,
                        const float* local_values, const ParamStore& full, float* full_values,
                        bool write_replicated) {
  ForEachTensor(full, local, [&](const ParamInfo& f, const ParamInfo& l) {
    const float* src = local_values + l.offset;
    float* dst = full_values + f.offset;
    if (TpReplicated(l.name)) {
      if (write_replicated) std::copy(src, src + l.numel(), dst);
      return;
    }
    for (const Block& b : SliceBlocks(c, s, f, l))
      for (int64_t r = 0; r < b.rows; ++r)
        std::copy(src + b.local_off + r * b.local_ld, src + b.local_off + r * b.local_ld + b.cols,
                  dst + b.full_off + r * b.full_ld);
  });
}

void ShardParams(const ModelConfig& c, const ModelShard& s, const ParamStore& full,
                 ParamStore* local) {
  ReadShardFromFull(c, s, full, full.data(), *local, local->data());
}

double TpLocalGradSquares(const ParamStore& local, const ModelShard& s, int64_t begin, int64_t end) {
  if (end < 0) end = local.size();
  const std::vector<std::string>& dup = local.tied_duplicates();
  if (s.tp_size == 1 && dup.empty()) return SumOfSquares(local.grad() + begin, end - begin);
  double total = 0;
  for (const ParamInfo& p : local.infos()) {
    const int64_t b = std::max(begin, p.offset), e = std::min(end, p.offset + p.numel());
    if (b >= e || (s.tp_rank != 0 && TpReplicated(p.name))) continue;
    if (std::find(dup.begin(), dup.end(), p.name) != dup.end()) continue;
    total += SumOfSquares(local.grad() + b, e - b);
  }
  return total;
}

void TensorParallel::AllReduceSum(float* data, int64_t n) {
  if (!active() || !status_.ok()) return;
  status_ = collectives_->AllReduceSum(data, n);
}

void TensorParallel::AllReduceMax(float* data, int64_t n) {
  if (!active() || !status_.ok()) return;
  status_ = collectives_->AllReduceMax(data, n);
}

void TpEmbeddingForward(TensorParallel& tp, const VocabRange& v, float* out, const int32_t* ids,
                        const int32_t* pos, const float* wte, const float* wpe, int64_t N,
                        int64_t C) {
  const float* pe_table = tp.rank() == 0 ? wpe : nullptr;  // positions added once
  ParallelFor(N, std::max<int64_t>(1, 8192 / std::max<int64_t>(C, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const int64_t id = ids[r] - v.begin;
      float* y = out + r * C;
      if (id >= 0 && id < v.valid)
        std::copy(wte + id * C, wte + (id + 1) * C, y);
      else
        std::fill(y, y + C, 0.f);
      if (pe_table) {
        const float* pe = pe_table + static_cast<int64_t>(pos[r]) * C;
        for (int64_t c = 0; c < C; ++c) y[c] += pe[c];
      }
    }
  });
  tp.AllReduceSum(out, N * C);
}

void TpEmbeddingBackward(const VocabRange& v, float* dwte, float* dwpe, const float* dout,
                         const int32_t* ids, const int32_t* pos, int64_t N, int64_t C) {
  constexpr int64_t kColBlock = 16;  // as kernels/embedding.cc: threads own column blocks
  const int64_t n_blocks = (C + kColBlock - 1) / kColBlock;
  ParallelFor(n_blocks, 1, [&](int64_t b0, int64_t b1) {
    const int64_t c0 = b0 * kColBlock, c1 = std::min(C, b1 * kColBlock);
    for (int64_t r = 0; r < N; ++r) {
      const float* g = dout + r * C;
      const int64_t id = ids[r] - v.begin;
      if (id >= 0 && id < v.valid) {
        float* te = dwte + id * C;
        for (int64_t c = c0; c < c1; ++c) te[c] += g[c];
      }
      if (dwpe) {
        float* pe = dwpe + static_cast<int64_t>(pos[r]) * C;
        for (int64_t c = c0; c < c1; ++c) pe[c] += g[c];
      }
    }
  });
}

double TpCrossEntropy(TensorParallel& tp, const VocabRange& v, float* dlogits, float* losses,
                      const float* logits, const int32_t* targets, int64_t N, float grad_scale) {
  const int64_t VL = v.local, valid = v.valid;
  // [N] row max, then [2N]: sum of exps, target logit (0 unless this rank holds it).
  std::vector<float> m(N), st(2 * N);
  ParallelFor(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float mx = -std::numeric_limits<float>::infinity();
      const float* x = logits + r * VL;
      for (int64_t j = 0; j < valid; ++j) mx = std::max(mx, x[j]);
      m[r] = mx;
    }
  });
  tp.AllReduceMax(m.data(), N);
  ParallelFor(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* x = logits + r * VL;
      double s = 0;
      for (int64_t j = 0; j < valid; ++j) s += std::exp(static_cast<double>(x[j] - m[r]));
      st[r] = static_cast<float>(s);
      const int64_t t = targets[r] - v.begin;
      st[N + r] = targets[r] != -1 && t >= 0 && t < valid ? x[t] : 0.f;
    }
  });
  tp.AllReduceSum(st.data(), 2 * N);
  ParallelFor(N, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const bool ignored = targets[r] == -1;
      const float* x = logits + r * VL;
      losses[r] = ignored
                      ? 0.f
                      : static_cast<float>(std::log(static_cast<double>(st[r])) + m[r] - st[N + r]);
      if (dlogits == nullptr) continue;
      float* d = dlogits + r * VL;
      if (ignored) {
        std::fill(d, d + VL, 0.f);
        continue;
      }
      const float k = grad_scale / st[r];
      for (int64_t j = 0; j < valid; ++j) d[j] = std::exp(x[j] - m[r]) * k;
      std::fill(d + std::max<int64_t>(valid, 0), d + VL, 0.f);
      const int64_t t = targets[r] - v.begin;
      if (t >= 0 && t < valid) d[t] -= grad_scale;
    }
  });
  double total = 0;
  for (int64_t r = 0; r < N; ++r) total += losses[r];
  return total;
}

}  // namespace seek
