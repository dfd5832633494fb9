// The `balance` stage: mixes the sources to a byte budget.
//   {"stage": "balance", "weights": {"books": 2, "quotes": 1, "docs": 1}}   explicit shares
//   {"stage": "balance", "temperature": 0.5}                             p_s ∝ n_s^α (n_s: bytes of source s)
// plus "budget_bytes" (default: the input's bytes) and "seed" (default 1).
// A source's target is p_s × budget; with ratio r = target / n_s each of its
// documents is kept floor(r) times plus once more with probability
// frac(r) — repetition up-samples, a draw down-samples. The draw of a
// document depends only on its id and the seed, so the output is the same
// whatever the input order or thread count. Sources without a weight are
// dropped (reason "balance_unweighted"); a draw that keeps none: "balance_sampled".
// Bytes stand in for tokens here; the mix is measured again after tokenizing.
#include <cmath>
#include <map>

#include <xxhash.h>

#include "data/stage.h"

namespace seek {
namespace {

class BalanceStage : public CorpusStage {
 public:
  BalanceStage(std::map<std::string, double> weights, double alpha, int64_t budget, uint64_t seed)
      : weights_(std::move(weights)), alpha_(alpha), budget_(budget), seed_(seed) {}

  StatusOr<std::vector<Verdict>> Apply(std::vector<Document>* docs, Comm& comm) override {
    // Bytes per source over all ranks (integers: the sum is exact in any order).
    std::map<std::string, int64_t> mine, sums;
    for (const Document& d : *docs) mine[d.source] += static_cast<int64_t>(d.text.size());
    ByteWriter w;
    for (const auto& [s, n] : mine) w.Str(s), w.I64(n);
    ASSIGN_OR_RETURN(std::vector<std::string> all, comm.AllGather(w.bytes()));
    for (const std::string& part : all) {
      ByteReader in(part);
      while (in.ok() && !in.done()) {
        std::string s = in.Str();
        sums[s] += in.I64();
      }
      if (!in.ok()) return InternalError("balance: a rank's byte counts arrived truncated");
    }
    std::map<std::string, double> bytes;
    double total = 0;
    for (const auto& [s, n] : sums) {
      bytes[s] = static_cast<double>(n);
      total += static_cast<double>(n);
    }
    std::map<std::string, double> share;
    double norm = 0;
    for (const auto& [s, n] : bytes) {
      double w = 0;
      if (!weights_.empty()) {
        auto it = weights_.find(s);
        w = it == weights_.end() ? 0 : it->second;
      } else {
        w = std::pow(n, alpha_);
      }
      share[s] = w;
      norm += w;
    }
    if (norm <= 0) return InvalidArgumentError("balance: no source has a positive weight");
    const double budget = budget_ > 0 ? static_cast<double>(budget_) : total;
    std::map<std::string, double> ratio;
    for (const auto& [s, n] : bytes) ratio[s] = n > 0 ? share[s] / norm * budget / n : 0;
    std::vector<Verdict> out(docs->size());
    for (size_t i = 0; i < docs->size(); ++i) {
      const Document& d = (*docs)[i];
      const double r = ratio[d.source];
      if (r <= 0) {
        out[i] = Verdict::Drop("balance_unweighted");
        continue;
      }
      const double u = static_cast<double>(XXH64(d.id.data(), d.id.size(), seed_) >> 11) * 0x1.0p-53;
      const int copies = static_cast<int>(std::floor(r)) + (u < r - std::floor(r) ? 1 : 0);
      if (copies == 0) out[i] = Verdict::Drop("balance_sampled");
      else out[i].copies = copies;
    }
    return out;
  }

 private:
  std::map<std::string, double> weights_;
  double alpha_;
  int64_t budget_;
  uint64_t seed_;
};

}  // namespace

StatusOr<Stage> MakeBalanceStage(const nlohmann::json& o, const std::string& where) {
  RETURN_IF_ERROR(CheckStageKeys(o, {"weights", "temperature", "budget_bytes", "seed"}, where));
  using Weights = std::map<std::string, double>;
  ASSIGN_OR_RETURN(Weights weights, StageOption<Weights>(o, "weights", Weights{}, where));
  ASSIGN_OR_RETURN(double alpha, StageOption<double>(o, "temperature", -1.0, where));
  ASSIGN_OR_RETURN(int64_t budget, StageOption<int64_t>(o, "budget_bytes", 0, where));
  ASSIGN_OR_RETURN(uint64_t seed, StageOption<uint64_t>(o, "seed", 1, where));
  if (weights.empty() == (alpha < 0))
    return InvalidArgumentError("{}: give either 'weights' (source -> share) or 'temperature' (alpha in [0, 1])", where);
  if (alpha > 1) return InvalidArgumentError("{}.temperature {} must be in [0, 1]", where, alpha);
  for (const auto& [s, w] : weights)
    if (!(w >= 0) || !std::isfinite(w)) return InvalidArgumentError("{}.weights.{} = {} must be >= 0", where, s, w);
  if (budget < 0) return InvalidArgumentError("{}.budget_bytes {} must be >= 0 (0: the input's size)", where, budget);
  Stage s;
  s.corpus = std::make_unique<BalanceStage>(std::move(weights), alpha, budget, seed);
  return s;
}

}  // namespace seek
