// `seek train --config FILE.json [--out DIR] [--resume] [--steps-this-run N]`
#include <cstdio>

#include "cli/commands.h"
#include "train/trainer.h"

namespace seek::cli {
namespace {

struct TrainFlags {
  std::string config;
  std::string out = "runs/default";
  bool resume = false;
  int64_t steps_this_run = 0;
};

int RunTrain(const TrainFlags& f) {
  StatusOr<TrainConfig> config = LoadTrainConfig(f.config);
  if (!config.ok()) return Fail("train", config.status());
  TrainOptions options{f.out, f.resume, f.steps_this_run, false};
  StatusOr<std::unique_ptr<Trainer>> trainer = Trainer::Create(std::move(*config), options);
  if (!trainer.ok()) return Fail("train", trainer.status());
  Status s = (*trainer)->Run();
  if (!s.ok()) return Fail("train", s);
  std::printf("model: %s\n", (*trainer)->last_checkpoint().c_str());
  return 0;
}

}  // namespace

void AddTrainCommand(CLI::App& app, Action* run) {
  auto f = std::make_shared<TrainFlags>();
  CLI::App* c = app.add_subcommand(
      "train", "Train a model on token shards; settings in one JSON file (docs/train_config.md)");
  c->add_option("--config", f->config, "training config JSON: model, data, optim, train sections")
      ->required()->check(CLI::ExistingFile);
  c->add_option("--out", f->out, "run directory: config, metrics.jsonl, loss.png, checkpoints/")
      ->capture_default_str();
  c->add_flag("--resume", f->resume, "continue from the newest checkpoint in --out");
  c->add_option("--steps-this-run", f->steps_this_run,
                "stop after this many steps (with a checkpoint); the schedule is unchanged")
      ->check(CLI::NonNegativeNumber);
  c->callback([f, run] { *run = [f] { return RunTrain(*f); }; });
}

}  // namespace seek::cli
