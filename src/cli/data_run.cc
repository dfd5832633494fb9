// `seek data run PIPELINE`: the data pipeline (src/data/pipeline.h).
#include <cstdio>

#include "cli/commands.h"
#include "data/pipeline.h"
#include "data/report.h"
#include "io/comm.h"
#include "io/file_util.h"

namespace seek::cli {
namespace {

struct RunFlags {
  std::string pipeline, output;
  int threads = -1;
  bool keep_rejects = false, quiet = false, no_resume = false;
};

int RunPipelineCommand(const RunFlags& f) {
  StatusOr<PipelineConfig> c = PipelineConfig::FromFile(f.pipeline);
  if (!c.ok()) return Fail("data run", c.status());
  if (!f.output.empty()) c->output = f.output;
  if (f.threads >= 0) c->threads = f.threads;
  if (f.keep_rejects) c->keep_rejects = true;
  if (f.no_resume) c->resume = false;
  // Under mpirun / srun: one rank of a multi-process run; rank 0 writes and reports.
  StatusOr<std::unique_ptr<Comm>> comm = WorldComm();
  if (!comm.ok()) return Fail("data run", comm.status());
  StatusOr<nlohmann::ordered_json> m = RunPipeline(*c, !f.quiet, **comm);
  if (!m.ok()) return Fail("data run", m.status());
  if ((*comm)->rank() != 0) return 0;
  const auto& out = (*m)["output"];
  std::printf("%s", ReportTable(*m).c_str());
  const std::string png = c->output + "/report.png";
  if (Status s = DrawReport(*m, png); !s.ok()) std::fprintf(stderr, "seek data run: no report.png: %s\n", s.ToString().c_str());
  std::printf("wrote %s/documents.jsonl (%lld documents), %s/manifest.json and %s\n", c->output.c_str(),
              out["documents"].get<long long>(), c->output.c_str(), png.c_str());
  if (m->contains("shards"))
    std::printf("wrote %s/shards/ (%lld tokens, vocabulary %lld; train on it with data.shards in a training config)\n",
                c->output.c_str(), (*m)["shards"]["tokens"].get<long long>(),
                (*m)["shards"]["vocab_size"].get<long long>());
  return 0;
}

int RunReport(const std::string& dir) {
  StatusOr<std::string> text = ReadFileToString(dir + "/manifest.json");
  if (!text.ok()) return Fail("data report", text.status());
  nlohmann::ordered_json m = nlohmann::ordered_json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (m.is_discarded() || !m.is_object())
    return Fail("data report", InvalidArgumentError("{}/manifest.json is not a JSON object", dir));
  std::printf("%s", ReportTable(m).c_str());
  if (Status s = DrawReport(m, dir + "/report.png"); !s.ok()) return Fail("data report", s);
  std::printf("wrote %s/report.png\n", dir.c_str());
  return 0;
}

}  // namespace

void AddDataRunCommand(CLI::App& data, Action* run) {
  auto f = std::make_shared<RunFlags>();
  CLI::App* c = data.add_subcommand(
      "run", "Run a pipeline file: read, clean, filter, deduplicate; write documents and a manifest "
             "(multi-process: mpirun -np N seek data run PIPELINE)");
  c->add_option("pipeline", f->pipeline, "pipeline JSON (e.g. configs/data_default.json; docs/data.md)")
      ->required()
      ->check(CLI::ExistingFile);
  c->add_option("--output", f->output, "output folder (overrides the pipeline's)");
  c->add_option("--threads", f->threads, "threads (0: all cores; default: the pipeline's)")->check(CLI::Range(0, 4096));
  c->add_flag("--keep-rejects", f->keep_rejects, "also write rejects.jsonl: every dropped document with its stage and reason");
  c->add_flag("--no-resume", f->no_resume, "start over: neither resume from nor save per-stage state (OUTPUT/.resume)");
  c->add_flag("--quiet", f->quiet, "no progress lines");
  c->callback([f, run] { *run = [f] { return RunPipelineCommand(*f); }; });
  auto dir = std::make_shared<std::string>();
  CLI::App* r = data.add_subcommand("report", "Print a pipeline run's manifest as a table and draw report.png");
  r->add_option("output", *dir, "the run's output folder (holding manifest.json)")->required()->check(CLI::ExistingDirectory);
  r->callback([dir, run] { *run = [dir] { return RunReport(*dir); }; });
}

}  // namespace seek::cli
