#include "train/evaluate.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include <nlohmann/json.hpp>

#include "data/loader.h"
#include "io/file_util.h"

namespace seek {
namespace {

EvalResult Finish(double sum, int64_t n) {
  EvalResult r;
  r.tokens = n;
  r.loss = n ? sum / n : 0.0;
  r.perplexity = std::exp(r.loss);
  return r;
}

}  // namespace

StatusOr<EvalResult> EvaluateShard(Transformer* model, const std::string& shard, int64_t B,
                                   int64_t T) {
  T = std::min(T, model->config().max_positions);
  LoaderOptions lo{{shard}, B, T, /*seed=*/0, /*val_fraction=*/0.0, 0};
  ASSIGN_OR_RETURN(DataLoader loader, DataLoader::Open(lo, Split::kTrain));
  if (loader.vocab_size() > model->config().vocab_size)
    return InvalidArgumentError("{}: its vocabulary ({}) is larger than the model's ({})", shard,
                                loader.vocab_size(), model->config().vocab_size);
  std::vector<int32_t> tok(B * T), tgt(B * T), doc(B * T);
  const int64_t total = loader.num_tokens();
  double sum = 0;
  int64_t n = 0;
  // The stream wraps into a second epoch after `total` tokens: those are not scored.
  for (int64_t emitted = 0; emitted < total; emitted += B * T) {
    loader.Next(tok.data(), tgt.data(), doc.data());
    for (int64_t i = std::max<int64_t>(0, total - emitted); i < B * T; ++i) tgt[i] = -1;
    ASSIGN_OR_RETURN(LossResult r, model->Forward(Batch{B, T, tok.data(), tgt.data(), doc.data()}));
    sum += r.loss_sum;
    n += r.n_targets;
  }
  return Finish(sum, n);
}

StatusOr<EvalResult> EvaluateSequences(Transformer* model,
                                       const std::vector<std::vector<int32_t>>& sequences,
                                       std::vector<std::vector<double>>* token_losses) {
  double sum = 0;
  int64_t n = 0;
  const int64_t window = model->config().max_positions, V = model->config().vocab_size;
  if (token_losses) token_losses->clear();
  for (const auto& seq : sequences) {
    const int64_t T = std::min<int64_t>(static_cast<int64_t>(seq.size()), window);
    if (token_losses) token_losses->emplace_back();
    if (T < 2) continue;
    std::vector<int32_t> tgt(seq.begin() + 1, seq.begin() + T);
    tgt.push_back(-1);
    ASSIGN_OR_RETURN(LossResult r, model->Forward(Batch{1, T, seq.data(), tgt.data(), nullptr}));
    sum += r.loss_sum;
    n += r.n_targets;
    if (!token_losses) continue;
    // From the logits (still [T, V] after a forward without backward), in double.
    for (int64_t t = 0; t + 1 < T; ++t) {
      const float* row = model->logits() + t * V;
      const double mx = *std::max_element(row, row + V);
      double z = 0;
      for (int64_t v = 0; v < V; ++v) z += std::exp(static_cast<double>(row[v]) - mx);
      token_losses->back().push_back(mx + std::log(z) - row[tgt[t]]);
    }
  }
  return Finish(sum, n);
}

StatusOr<std::vector<std::vector<int32_t>>> ReadTokenIdLines(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  std::vector<std::vector<int32_t>> out;
  std::istringstream in(text);
  std::string line;
  for (int64_t no = 1; std::getline(in, line); ++no) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_array())
      return InvalidArgumentError("{}:{}: expected a JSON array of token ids", path, no);
    std::vector<int32_t> ids;
    for (const auto& v : j) {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > INT32_MAX)
        return InvalidArgumentError("{}:{}: {} is not a token id (an integer >= 0)", path, no, v.dump());
      ids.push_back(static_cast<int32_t>(v.get<int64_t>()));
    }
    out.push_back(std::move(ids));
  }
  return out;
}

}  // namespace seek
