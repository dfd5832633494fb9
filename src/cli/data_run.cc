// `seek data run PIPELINE`: the data pipeline (src/data/pipeline.h).
#include <cstdio>

#include "cli/commands.h"
#include "data/pipeline.h"

namespace seek::cli {
namespace {

struct RunFlags {
  std::string pipeline, output;
  int threads = -1;
  bool keep_rejects = false, quiet = false;
};

int RunPipelineCommand(const RunFlags& f) {
  StatusOr<PipelineConfig> c = PipelineConfig::FromFile(f.pipeline);
  if (!c.ok()) return Fail("data run", c.status());
  if (!f.output.empty()) c->output = f.output;
  if (f.threads >= 0) c->threads = f.threads;
  if (f.keep_rejects) c->keep_rejects = true;
  StatusOr<nlohmann::ordered_json> m = RunPipeline(*c, !f.quiet);
  if (!m.ok()) return Fail("data run", m.status());
  const auto& out = (*m)["output"];
  std::printf("%-12s %10s %14s\n", "source", "documents", "bytes");
  for (const auto& [source, t] : out["by_source"].items())
    std::printf("%-12s %10lld %14lld\n", source.c_str(), t["documents"].get<long long>(), t["bytes"].get<long long>());
  std::printf("wrote %s/documents.jsonl (%lld documents) and %s/manifest.json\n", c->output.c_str(),
              out["documents"].get<long long>(), c->output.c_str());
  return 0;
}

}  // namespace

void AddDataRunCommand(CLI::App& data, Action* run) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* c = data.add_subcommand("run", "Run a pipeline file: read, clean, filter, deduplicate; write documents and a manifest");
  c->add_option("pipeline", f->pipeline, "pipeline JSON (e.g. configs/data_default.json; docs/data.md)")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("--output", f->output, "output folder (overrides the pipeline's)");
  c->add_option("--threads", f->threads, "threads (0: all cores; default: the pipeline's)")->check(CLI::Range(0, 4096));
  c->add_flag("--keep-rejects", f->keep_rejects, "also write rejects.jsonl: every dropped document with its stage and reason");
  c->add_flag("--quiet", f->quiet, "no progress lines");
  c->callback([f, run] { *run = [f] { return RunPipelineCommand(*f); }; });
}

}  // namespace seek::cli
