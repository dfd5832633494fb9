// `seek train --config FILE.json [--out DIR] [--resume] [--steps-this-run N]
//  [--dp A --tp B --pp C]`; under `mpirun -np N` / `srun` the ranks train together.
#include <cstdio>

#include "cli/commands.h"
#include "io/comm.h"
#include "train/dist/communicator.h"
#include "train/trainer.h"

namespace seek::cli {
namespace {

struct TrainFlags {
  std::string config;
  std::string out = "runs/default";
  bool resume = false;
  int64_t steps_this_run = 0;
  int64_t dp = -1, tp = -1, pp = -1;  // -1: the config's
};

// In a job of several ranks, one rank's error ends them all: the others
// would wait in their next collective until the timeout.
int FailTrain(const Status& status) {
  const int code = Fail("train", status);
  if (LaunchedByMpi()) AbortJob("", code);
  return code;
}

int RunTrain(const TrainFlags& f) {
  StatusOr<TrainConfig> config = LoadTrainConfig(f.config);
  if (!config.ok()) return FailTrain(config.status());
  if (f.dp >= 0) config->train.dp = f.dp;
  if (f.tp >= 0) config->train.tp = f.tp;
  if (f.pp >= 0) config->train.pp = f.pp;
  TrainOptions options{f.out, f.resume, f.steps_this_run, false};
  StatusOr<std::unique_ptr<Trainer>> trainer = Trainer::Create(std::move(*config), options);
  if (!trainer.ok()) return FailTrain(trainer.status());
  Status s = (*trainer)->Run();
  if (!s.ok()) return FailTrain(s);
  if ((*trainer)->last_checkpoint().empty()) return 0;  // not rank 0 of a job
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
  c->add_option("--dp", f->dp, "data-parallel ranks (default: train.dp; 0 = the ranks left by tp x pp)")
      ->check(CLI::NonNegativeNumber);
  c->add_option("--tp", f->tp, "tensor-parallel ranks per group (default: train.tp, 1)")->check(CLI::PositiveNumber);
  c->add_option("--pp", f->pp, "pipeline stages (default: train.pp, 1)")->check(CLI::PositiveNumber);
  c->callback([f, run] { *run = [f] { return RunTrain(*f); }; });
}

}  // namespace seek::cli
