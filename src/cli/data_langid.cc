// `seek data langid train|predict`: the fastText language identifier of the
// data pipeline (src/data/langid.h); `seek data langid filter` runs its stage
// alone (data_stage.cc).
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "data/langid.h"

namespace seek::cli {
namespace {

struct LangIdFlags {
  std::string input, out = "data/langid/langid.bin", model;
  double holdout = 0.1;
  LangIdTrainOptions train;
};

int RunTrain(const LangIdFlags& f) {
  StatusOr<std::vector<LabelledText>> all = ReadLabelledFolders(f.input);
  if (!all.ok()) return Fail("data langid train", all.status());
  std::vector<LabelledText> train, test;
  SplitHoldout(*all, f.holdout, /*salt=*/0, &train, &test);
  std::fprintf(stderr, "seek data langid: %zu records from %s: %zu to train, %zu held out\n", all->size(),
               f.input.c_str(), train.size(), test.size());
  const std::filesystem::path out(f.out);
  std::error_code ec;
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path(), ec);
  const std::string scratch = out.has_parent_path() ? out.parent_path().string() : ".";
  StatusOr<std::unique_ptr<LanguageId>> m = LanguageId::Train(train, f.train, scratch);
  if (!m.ok()) return Fail("data langid train", m.status());
  if (Status s = (*m)->Save(f.out); !s.ok()) return Fail("data langid train", s);
  if (!test.empty()) {
    const LangIdAccuracy a = Evaluate(**m, test);
    std::printf("%-8s %8s %8s %9s\n", "language", "correct", "held out", "accuracy");
    for (const auto& [lang, ct] : a.per_language)
      std::printf("%-8s %8lld %8lld %9.4f\n", lang.c_str(), static_cast<long long>(ct.first),
                  static_cast<long long>(ct.second), static_cast<double>(ct.first) / static_cast<double>(ct.second));
    std::printf("%-8s %8lld %8lld %9.4f\n", "all", static_cast<long long>(a.overall * static_cast<double>(a.n) + 0.5),
                static_cast<long long>(a.n), a.overall);
  }
  std::printf("wrote %s (%zu languages)\n", f.out.c_str(), (*m)->languages().size());
  return 0;
}

int RunPredict(const LangIdFlags& f) {
  StatusOr<std::unique_ptr<LanguageId>> m = LanguageId::Load(f.model);
  if (!m.ok()) return Fail("data langid predict", m.status());
  std::string line;
  while (std::getline(std::cin, line)) {
    const LangIdPrediction p = (*m)->Predict(line);
    std::printf("%s\n", nlohmann::json{{"language", p.language}, {"score", p.score}}.dump().c_str());
  }
  return 0;
}

}  // namespace

void AddDataLangIdCommand(CLI::App& data, Action* run) {
  auto f = std::make_shared<LangIdFlags>();
  CLI::App* c = data.add_subcommand("langid", "Language identification (fastText)");
  c->require_subcommand(1);
  AddDataStageCommand(*c, "langid", "filter", run);
  CLI::App* t = c->add_subcommand("train", "Train a language ID model from per-language folders; print held-out accuracy");
  t->add_option("--input", f->input, "folder of per-language folders (e.g. data/raw/quotes: <lang>/<files>, records separated by '%' lines)")
      ->required()
      ->check(CLI::ExistingDirectory);
  t->add_option("--out", f->out, "model file to write")->capture_default_str();
  t->add_option("--holdout", f->holdout, "fraction held out to report accuracy")->check(CLI::Range(0.0, 0.9))->capture_default_str();
  t->add_option("--dim", f->train.dim, "embedding size")->check(CLI::Range(1, 1024))->capture_default_str();
  t->add_option("--epoch", f->train.epoch, "passes over the data")->check(CLI::Range(1, 1000))->capture_default_str();
  t->add_option("--lr", f->train.lr, "learning rate")->check(CLI::Range(1e-6, 10.0))->capture_default_str();
  t->add_option("--minn", f->train.minn, "shortest character n-gram")->check(CLI::Range(0, 20))->capture_default_str();
  t->add_option("--maxn", f->train.maxn, "longest character n-gram")->check(CLI::Range(0, 20))->capture_default_str();
  t->add_option("--threads", f->train.threads, "training threads (1 = deterministic)")->check(CLI::Range(1, 1024))->capture_default_str();
  t->add_option("--seed", f->train.seed, "random seed")->capture_default_str();
  t->callback([f, run] { *run = [f] { return RunTrain(*f); }; });
  CLI::App* p = c->add_subcommand("predict", "Lines on stdin -> {\"language\", \"score\"} per line");
  p->add_option("--model", f->model, "model file (seek data langid train)")->required();
  p->callback([f, run] { *run = [f] { return RunPredict(*f); }; });
}

void AddDataCommand(CLI::App& app, Action* run) {
  CLI::App* c = app.add_subcommand("data", "The data pipeline: run a pipeline file or one stage, train the language identifier (docs/data.md)");
  c->require_subcommand(1);
  AddDataRunCommand(*c, run);
  AddDataLangIdCommand(*c, run);
  AddDataStageCommands(*c, run);
}

}  // namespace seek::cli
