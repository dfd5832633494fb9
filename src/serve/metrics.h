// serve/metrics.h — serving metrics in the Prometheus text format
// (https://prometheus.io/docs/instrumenting/exposition_formats/): counters
// and cumulative histograms, updated lock-free from the request threads.
// Names follow vLLM's where one exists (seek_ prefix instead of vllm:).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "infer/engine.h"

namespace seek {

// A cumulative histogram with fixed upper bounds (seconds).
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  // Appends the _bucket / _sum / _count lines with HELP and TYPE.
  void Render(const std::string& name, const std::string& help, std::string* out) const;
  int64_t count() const { return count_.load(); }

 private:
  std::vector<double> bounds_;
  std::vector<std::atomic<int64_t>> buckets_;  // per bound (not cumulative), + Inf last
  std::atomic<int64_t> count_{0};
  std::atomic<double> sum_{0};
};

struct ServeMetrics {
  ServeMetrics();
  // Finished requests by reason ("stop", "length", "cancelled", "error");
  // requests refused at admission count as "rejected".
  void CountFinished(FinishReason reason);
  void CountRejected() { rejected.fetch_add(1); }

  std::atomic<int64_t> prompt_tokens{0}, generation_tokens{0}, rejected{0};
  std::array<std::atomic<int64_t>, 5> finished{};  // indexed by FinishReason
  std::atomic<int64_t> http_requests{0}, grpc_requests{0};
  Histogram time_to_first_token, inter_token_latency, e2e_latency;

  // Everything above plus the engine's gauges (running, waiting, KV blocks).
  std::string Render(const EngineStats& engine, const std::string& model_name) const;
};

}  // namespace seek
