// infer/scheduler.h — continuous batching over a paged KV cache.
//
// Decides, before each engine step, which sequences run and how many of
// their tokens are computed:
//   - running sequences that are decoding take one token each, first;
//   - sequences still prefilling take a chunk of at most prefill_chunk
//     tokens, within a per-step token budget, so a long prompt is spread
//     over several steps while the others keep decoding;
//   - waiting sequences are admitted first come, first served, while fewer
//     than max_batch run and the cache has room for their whole prompt;
//     admission reuses cached blocks of an identical prompt prefix.
// When a running sequence needs a new block and none is left, the most
// recently admitted sequence is preempted: its blocks are freed and it goes
// back to the front of the queue, to be recomputed (prompt and generated
// tokens) when room returns. Finished or cancelled sequences leave through
// Remove between steps and their blocks are freed at once.
// Thread-safety: none; the engine's step thread owns it.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "infer/kv_cache.h"

namespace seek {

struct SchedulerOptions {
  int64_t max_batch = 16;         // sequences per step
  int64_t prefill_chunk = 256;    // prompt tokens of one sequence per step
  int64_t max_step_tokens = 512;  // tokens per step over all sequences (>= max_batch)
};

struct SequenceState {
  int64_t id = 0;               // the request id
  std::vector<int32_t> tokens;  // prompt, then every generated token
  int64_t prompt_len = 0;
  int64_t kv_seq = -1;          // KvCache sequence id while admitted
  int64_t n_computed = 0;       // tokens whose K/V are in the cache
  int64_t n_cached = 0;         // prompt tokens reused from the cache at first admission
  int64_t n_preempted = 0;      // times preempted
  bool admitted_once = false;
};

struct ScheduledChunk {
  SequenceState* seq;
  int64_t n;   // tokens [n_computed, n_computed + n) are computed this step
  bool last;   // they reach the end of seq->tokens: sample the next token
};

class Scheduler {
 public:
  Scheduler(KvCache* cache, SchedulerOptions options);

  void Add(std::unique_ptr<SequenceState> seq);  // joins the waiting queue
  // Plans the next step (reserving cache room for it). Empty: nothing can run.
  std::vector<ScheduledChunk> Schedule();
  // After the step ran: the chunks' tokens are now in the cache.
  void Advance(const std::vector<ScheduledChunk>& chunks);
  // Drops a sequence, running or waiting, and frees its blocks. False if unknown.
  bool Remove(int64_t id);
  SequenceState* Find(int64_t id);

  int64_t num_running() const { return static_cast<int64_t>(running_.size()); }
  int64_t num_waiting() const { return static_cast<int64_t>(waiting_.size()); }
  bool empty() const { return running_.empty() && waiting_.empty(); }
  int64_t num_preemptions() const { return preemptions_; }

 private:
  void Preempt(size_t index);  // running_[index] back to the front of waiting_

  KvCache* cache_;
  SchedulerOptions opt_;
  std::vector<std::unique_ptr<SequenceState>> running_;  // admission order
  std::deque<std::unique_ptr<SequenceState>> waiting_;
  int64_t preemptions_ = 0;
};

}  // namespace seek
