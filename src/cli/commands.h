// cli/commands.h — the `seek` subcommands. Each lives in its own file: it
// declares its flags once on a CLI11 subcommand (which also prints --help)
// and calls the library. Exit codes: 0 success, 1 a failure during the work
// (e.g. a diverging run), 2 bad input (flags, files, configs, disk), with a
// message saying what is wrong and how to fix it.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

#include "core/status.h"

namespace seek::cli {

using Action = std::function<int()>;

// Each registers its subcommand on app; when chosen, *run is set to its action.
void AddTrainCommand(CLI::App& app, Action* run);
void AddEvalCommand(CLI::App& app, Action* run);
void AddSampleCommand(CLI::App& app, Action* run);
void AddGenerateCommand(CLI::App& app, Action* run);
void AddServeCommand(CLI::App& app, Action* run);
// `seek data` and its stages (data_*.cc).
void AddDataCommand(CLI::App& app, Action* run);
void AddDataLangIdCommand(CLI::App& data, Action* run);
void AddDataRunCommand(CLI::App& data, Action* run);
// seek data <stage> for every stage but langid, and one stage as PARENT NAME (data_stage.cc).
void AddDataStageCommands(CLI::App& data, Action* run);
void AddDataStageCommand(CLI::App& parent, const std::string& stage, const std::string& name, Action* run);
void AddShardsCommand(CLI::App& app, Action* run);
void AddPlotCommand(CLI::App& app, Action* run);
void AddTokenizerCommand(CLI::App& app, Action* run);
// `seek tokenizer train` (tokenizer_train.cc), registered by AddTokenizerCommand.
void AddTokenizerTrainCommand(CLI::App& tokenizer, Action* run);
// `seek tokenizer chat`, registered on the `tokenizer` subcommand (tokenizer_chat.cc).
void AddTokenizerChatCommand(CLI::App& tokenizer, Action* run);

// Prints "seek <command>: <error>" to stderr; returns the exit code for it.
int Fail(const char* command, const Status& status);

}  // namespace seek::cli
