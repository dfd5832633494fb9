// `seek plot RUN_DIR`: redraws RUN_DIR/loss.png from RUN_DIR/metrics.jsonl.
#include <cstdio>

#include "cli/commands.h"
#include "train/metrics.h"

namespace seek::cli {

void AddPlotCommand(CLI::App& app, Action* run) {
  auto dir = std::make_shared<std::string>();
  CLI::App* c = app.add_subcommand("plot", "Draw a run's loss curve to RUN_DIR/loss.png (gnuplot)");
  c->add_option("run_dir", *dir, "run directory of `seek train`")->required()->check(CLI::ExistingDirectory);
  c->callback([dir, run] {
    *run = [dir] {
      StatusOr<std::string> png = PlotLoss(*dir);
      if (!png.ok()) return Fail("plot", png.status());
      std::printf("%s\n", png->c_str());
      return 0;
    };
  });
}

}  // namespace seek::cli
