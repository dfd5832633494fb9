// `seek data <stage> INPUT --output DIR`: one stage of the data pipeline on
// its own (normalize, langid, dedup, the filters, pii, balance), as a
// one-stage pipeline (data/pipeline.h). Its output is a documents.jsonl, so
// stages chain: seek data normalize data/raw/books --output a &&
// seek data dedup a/documents.jsonl --output b.
#include <cstdio>
#include <filesystem>

#include "cli/commands.h"
#include "data/pipeline.h"
#include "data/stage.h"
#include "io/comm.h"

namespace seek::cli {
namespace {

struct StageFlags {
  std::string stage, command, input, output, options = "{}", format = "auto", source, separator;
  int threads = 0;
  bool keep_rejects = false, quiet = false;
};

int RunStageCommand(const StageFlags& f) {
  const std::string& command = f.command;
  nlohmann::json stage = nlohmann::json::parse(f.options, nullptr, /*allow_exceptions=*/false);
  if (stage.is_discarded() || !stage.is_object())
    return Fail(command.c_str(), InvalidArgumentError("--options '{}' is not a JSON object (e.g. '{{\"min_score\": "
                                                      "0.8}}')", f.options));
  stage["stage"] = f.stage;
  std::string format = f.format;
  if (format == "auto") format = std::filesystem::path(f.input).extension() == ".jsonl" ? "documents" : "text";
  nlohmann::json input = {{"path", f.input}, {"format", format}};
  std::string source = f.source;
  if (source.empty()) source = std::filesystem::path(f.input).lexically_normal().filename().stem().string();
  input["source"] = source.empty() ? "input" : source;
  if (!f.separator.empty()) input["separator"] = f.separator;
  const nlohmann::json pipeline = {{"inputs", {input}}, {"stages", {stage}}, {"output", f.output},
                                   {"threads", f.threads}, {"keep_rejects", f.keep_rejects}, {"resume", false}};
  StatusOr<PipelineConfig> c = PipelineConfig::FromJson(pipeline, "seek " + command);
  if (!c.ok()) return Fail(command.c_str(), c.status());
  StatusOr<std::unique_ptr<Comm>> comm = WorldComm();
  if (!comm.ok()) return Fail(command.c_str(), comm.status());
  StatusOr<nlohmann::ordered_json> m = RunPipeline(*c, !f.quiet, **comm);
  if (!m.ok()) return Fail(command.c_str(), m.status());
  if ((*comm)->rank() != 0) return 0;
  const auto& st = (*m)["stages"][0];
  std::printf("%s: %lld documents in, %lld out; dropped %s\nwrote %s/documents.jsonl and %s/manifest.json\n",
              f.stage.c_str(), (*m)["inputs"][0]["documents"].get<long long>(),
              (*m)["output"]["documents"].get<long long>(), st["dropped"].dump().c_str(), f.output.c_str(),
              f.output.c_str());
  return 0;
}

}  // namespace

void AddDataStageCommand(CLI::App& parent, const std::string& stage, const std::string& name, Action* run) {
  auto f = std::make_shared<StageFlags>();
  f->stage = stage;
  f->command = name;  // e.g. "data dedup", "data langid filter": the path below the root command
  for (const CLI::App* a = &parent; a->get_parent() != nullptr; a = a->get_parent()) f->command = a->get_name() + " " + f->command;
  CLI::App* c = parent.add_subcommand(
      name, "Run the " + stage + " stage alone: INPUT -> OUTPUT/documents.jsonl + manifest.json (docs/data.md)");
  c->add_option("input", f->input,
                "a file or folder: text (one document per file, or records with --separator), or a "
                "documents.jsonl from seek data")
      ->required()
      ->check(CLI::ExistingPath);
  c->add_option("--output", f->output, "output folder")->required();
  c->add_option("--options", f->options, "the stage's options as a JSON object (docs/data.md, docs/data_filters.md)")
      ->capture_default_str();
  c->add_option("--format", f->format, "auto (documents for .jsonl, else text), text, jsonl or documents")
      ->check(CLI::IsMember({"auto", "text", "jsonl", "documents"}))
      ->capture_default_str();
  c->add_option("--source", f->source, "source name of text input (default: the input's file or folder name)");
  c->add_option("--separator", f->separator, "text input: a line equal to it ends a record (\"%\" for fortunes)");
  c->add_option("--threads", f->threads, "threads (0: all cores)")->check(CLI::Range(0, 4096))->capture_default_str();
  c->add_flag("--keep-rejects", f->keep_rejects, "also write rejects.jsonl with every dropped document and its reason");
  c->add_flag("--quiet", f->quiet, "no progress lines");
  c->callback([f, run] { *run = [f] { return RunStageCommand(*f); }; });
}

void AddDataStageCommands(CLI::App& data, Action* run) {
  for (const std::string& name : StageNames()) {
    // `seek data langid` names language-ID training and prediction; its
    // stage is `seek data langid filter` (data_langid.cc).
    if (name != "langid") AddDataStageCommand(data, name, name, run);
  }
}

}  // namespace seek::cli
