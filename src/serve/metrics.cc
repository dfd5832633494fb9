#include "serve/metrics.h"

#include <algorithm>

#include <fmt/format.h>

namespace seek {
namespace {

// Latency buckets in seconds: 1 ms .. 60 s, roughly x2.5 apart (vLLM's spread).
std::vector<double> LatencyBounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5,
          0.75,  1.0,    2.5,   5.0,  7.5,   10.0, 20.0,  40.0, 60.0};
}

// Prometheus float: shortest round-trip form, +Inf spelled as Prometheus does.
std::string Num(double v) { return fmt::format("{}", v); }

void Header(const std::string& name, const char* type, const std::string& help, std::string* out) {
  *out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, help, name, type);
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(bounds_.size() + 1) {
  for (auto& b : buckets_) b.store(0);
}

void Histogram::Observe(double v) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Render(const std::string& name, const std::string& help, std::string* out) const {
  Header(name, "histogram", help, out);
  int64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    *out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, Num(bounds_[i]), cumulative);
  }
  cumulative += buckets_.back().load(std::memory_order_relaxed);
  *out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  *out += fmt::format("{}_sum {}\n{}_count {}\n", name, Num(sum_.load()), name, count_.load());
}

ServeMetrics::ServeMetrics()
    : time_to_first_token(LatencyBounds()),
      inter_token_latency(LatencyBounds()),
      e2e_latency(LatencyBounds()) {}

void ServeMetrics::CountFinished(FinishReason reason) {
  const size_t i = static_cast<size_t>(reason);
  if (i < finished.size()) finished[i].fetch_add(1, std::memory_order_relaxed);
}

std::string ServeMetrics::Render(const EngineStats& e, const std::string& model_name) const {
  std::string out;
  auto gauge = [&](const std::string& name, const std::string& help, double v) {
    Header(name, "gauge", help, &out);
    out += fmt::format("{} {}\n", name, Num(v));
  };
  auto counter = [&](const std::string& name, const std::string& help, int64_t v) {
    Header(name, "counter", help, &out);
    out += fmt::format("{} {}\n", name, v);
  };
  Header("seek_model_info", "gauge", "The model this server serves.", &out);
  out += fmt::format("seek_model_info{{model_name=\"{}\"}} 1\n", model_name);
  gauge("seek_num_requests_running", "Sequences in the running batch.", static_cast<double>(e.running));
  gauge("seek_num_requests_waiting", "Sequences waiting to be scheduled.", static_cast<double>(e.waiting));
  gauge("seek_kv_cache_blocks_used", "KV cache blocks held by sequences.", static_cast<double>(e.kv_blocks_used));
  gauge("seek_kv_cache_blocks_total", "KV cache blocks in the budget.", static_cast<double>(e.kv_blocks_total));
  gauge("seek_kv_cache_usage_perc", "Fraction of KV cache blocks in use (0-1).",
        e.kv_blocks_total > 0 ? static_cast<double>(e.kv_blocks_used) / static_cast<double>(e.kv_blocks_total) : 0.0);
  counter("seek_prompt_tokens_total", "Prompt tokens of admitted requests.", prompt_tokens.load());
  counter("seek_generation_tokens_total", "Tokens generated.", generation_tokens.load());
  counter("seek_engine_steps_total", "Engine steps (one forward pass over the batch each).", e.steps);
  counter("seek_num_preemptions_total", "Sequences preempted for lack of KV blocks (recomputed later).",
          e.preemptions);
  Header("seek_request_success_total", "counter", "Finished sequences by finish reason.", &out);
  for (FinishReason r : {FinishReason::kStop, FinishReason::kLength, FinishReason::kCancelled,
                         FinishReason::kError})
    out += fmt::format("seek_request_success_total{{finished_reason=\"{}\"}} {}\n", FinishReasonName(r),
                       finished[static_cast<size_t>(r)].load());
  counter("seek_request_rejected_total", "Requests refused with a client error.", rejected.load());
  counter("seek_http_requests_total", "HTTP requests received.", http_requests.load());
  counter("seek_grpc_requests_total", "gRPC calls received.", grpc_requests.load());
  time_to_first_token.Render("seek_time_to_first_token_seconds",
                             "Seconds from a request's arrival to its first token.", &out);
  inter_token_latency.Render("seek_inter_token_latency_seconds",
                             "Seconds between consecutive tokens of a sequence.", &out);
  e2e_latency.Render("seek_e2e_request_latency_seconds",
                     "Seconds from a request's arrival to its last token.", &out);
  return out;
}

}  // namespace seek
