// seek — command-line entry point. Parses the subcommand and runs it.
#include <cstdio>

#include "cli/commands.h"

namespace seek::cli {

int Fail(const char* command, const Status& status) {
  std::fprintf(stderr, "seek %s: %s\n", command, status.ToString().c_str());
  return status.code() == StatusCode::kInternal ? 1 : 2;
}

}  // namespace seek::cli

int main(int argc, char** argv) {
  CLI::App app{"Seek: prepare data, train and serve Transformer language models on CPUs"};
  app.require_subcommand(1);
  seek::cli::Action run;
  seek::cli::AddDataCommand(app, &run);
  seek::cli::AddShardsCommand(app, &run);
  seek::cli::AddTrainCommand(app, &run);
  seek::cli::AddEvalCommand(app, &run);
  seek::cli::AddSampleCommand(app, &run);
  seek::cli::AddGenerateCommand(app, &run);
  seek::cli::AddServeCommand(app, &run);
  seek::cli::AddPlotCommand(app, &run);
  seek::cli::AddTokenizerCommand(app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return run ? run() : 2;
}
