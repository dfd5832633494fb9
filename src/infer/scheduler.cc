#include "infer/scheduler.h"

#include <algorithm>

#include "core/check.h"

namespace seek {

Scheduler::Scheduler(KvCache* cache, SchedulerOptions options) : cache_(cache), opt_(options) {
  CHECK(opt_.max_batch >= 1 && opt_.prefill_chunk >= 1);
  opt_.max_step_tokens = std::max(opt_.max_step_tokens, opt_.max_batch);
}

void Scheduler::Add(std::unique_ptr<SequenceState> seq) { waiting_.push_back(std::move(seq)); }

SequenceState* Scheduler::Find(int64_t id) {
  for (auto& s : running_)
    if (s->id == id) return s.get();
  for (auto& s : waiting_)
    if (s->id == id) return s.get();
  return nullptr;
}

bool Scheduler::Remove(int64_t id) {
  for (size_t i = 0; i < running_.size(); ++i) {
    if (running_[i]->id == id) {
      cache_->FreeSequence(running_[i]->kv_seq);
      running_.erase(running_.begin() + i);
      return true;
    }
  }
  for (size_t i = 0; i < waiting_.size(); ++i) {
    if (waiting_[i]->id == id) {
      waiting_.erase(waiting_.begin() + i);
      return true;
    }
  }
  return false;
}

void Scheduler::Preempt(size_t index) {
  std::unique_ptr<SequenceState> s = std::move(running_[index]);
  running_.erase(running_.begin() + index);
  cache_->FreeSequence(s->kv_seq);
  s->kv_seq = -1;
  s->n_computed = 0;
  ++s->n_preempted;
  ++preemptions_;
  waiting_.push_front(std::move(s));
}

std::vector<ScheduledChunk> Scheduler::Schedule() {
  std::vector<ScheduledChunk> plan;
  int64_t budget = opt_.max_step_tokens;
  // Decoding sequences first (one token each), then prefilling ones.
  for (int pass = 0; pass < 2; ++pass) {
    for (size_t i = 0; i < running_.size() && budget > 0;) {
      SequenceState* s = running_[i].get();
      const int64_t remaining = static_cast<int64_t>(s->tokens.size()) - s->n_computed;
      const bool decoding = remaining == 1;
      if (remaining <= 0 || decoding != (pass == 0)) {
        ++i;
        continue;
      }
      const int64_t n = std::min({remaining, opt_.prefill_chunk, budget});
      bool ok = cache_->Reserve(s->kv_seq, s->n_computed + n);
      // Out of blocks: preempt the newest sequences not yet planned.
      while (!ok) {
        size_t victim = running_.size() - 1;
        auto planned = [&](size_t k) {
          return std::any_of(plan.begin(), plan.end(),
                             [&](const ScheduledChunk& c) { return c.seq == running_[k].get(); });
        };
        while (victim > i && planned(victim)) --victim;
        if (victim == i) break;
        Preempt(victim);
        ok = cache_->Reserve(s->kv_seq, s->n_computed + n);
      }
      if (!ok) {
        Preempt(i);  // not even alone with the unplanned ones gone: wait for room
        continue;
      }
      plan.push_back(ScheduledChunk{s, n, s->n_computed + n == (int64_t)s->tokens.size()});
      budget -= n;
      ++i;
    }
  }
  // Admit waiting sequences while there is room for their whole context.
  while (!waiting_.empty() && budget > 0 && num_running() < opt_.max_batch) {
    SequenceState* s = waiting_.front().get();
    int64_t cached = 0;
    const int64_t kv = cache_->AddSequence(s->tokens, &cached);
    const int64_t have = static_cast<int64_t>(cache_->block_table(kv).size());
    const int64_t need = cache_->BlocksFor(static_cast<int64_t>(s->tokens.size()) + 1) - have;
    if (need > cache_->num_available_blocks()) {
      cache_->FreeSequence(kv);
      break;
    }
    const int64_t n = std::min({static_cast<int64_t>(s->tokens.size()) - cached,
                                opt_.prefill_chunk, budget});
    CHECK(cache_->Reserve(kv, cached + n));
    s->kv_seq = kv;
    s->n_computed = cached;
    if (!s->admitted_once) s->n_cached = cached;
    s->admitted_once = true;
    running_.push_back(std::move(waiting_.front()));
    waiting_.pop_front();
    plan.push_back(ScheduledChunk{s, n, cached + n == (int64_t)s->tokens.size()});
    budget -= n;
  }
  return plan;
}

void Scheduler::Advance(const std::vector<ScheduledChunk>& chunks) {
  for (const ScheduledChunk& c : chunks) c.seq->n_computed += c.n;
}

}  // namespace seek
