// seek — command-line entry point. Parses the subcommand and runs it.
#include <cstdio>

#include "cli/commands.h"

int main(int argc, char** argv) {
  CLI::App app{"Seek: prepare data, train and serve Transformer language models on CPUs"};
  app.require_subcommand(1);
  std::function<int()> run;
  seek::cli::AddDemoCommand(app, &run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : 2;
  }
  return run ? run() : 2;
}
