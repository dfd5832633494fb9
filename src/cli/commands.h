// cli/commands.h — the `seek` subcommands. Each lives in its own file: it
// declares its flags once on a CLI11 subcommand (which also prints --help)
// and calls the library. Exit codes: 0 success, 1 runtime failure, 2 bad
// input (flags, files), with a message saying what is wrong and how to fix it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace seek::cli {

// Registers a subcommand on app; *run is set to its action.
void AddDemoCommand(CLI::App& app, std::function<int()>* run);

}  // namespace seek::cli
