#include "data/pipeline.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "core/threads.h"
#include "data/pipeline_state.h"
#include "data/text_shards.h"
#include "data/stage.h"
#include "io/file_util.h"

namespace seek {
namespace {

using Json = nlohmann::ordered_json;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

struct Tally {
  int64_t docs = 0, bytes = 0;
  void Add(const Document& d) {
    ++docs;
    bytes += static_cast<int64_t>(d.text.size());
  }
  Json ToJson() const { return Json{{"documents", docs}, {"bytes", bytes}}; }
};

Json BySource(const std::map<std::string, Tally>& m) {
  Json j = Json::object();
  for (const auto& [k, t] : m) j[k] = t.ToJson();
  return j;
}

std::string DocLine(const Document& d, const std::string* stage, const std::string* reason) {
  Json j = {{"id", d.id}, {"source", d.source}, {"language", d.language}};
  if (stage) j["stage"] = *stage;
  if (reason) j["reason"] = *reason;
  j["text"] = d.text;
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

// One line on stderr, rewritten in place.
void Progress(bool on, const std::string& stage, int64_t done, int64_t total, int64_t bytes, double seconds) {
  if (!on) return;
  const double rate = seconds > 0 ? static_cast<double>(bytes) / 1e6 / seconds : 0;
  const double eta = done > 0 ? seconds * static_cast<double>(total - done) / static_cast<double>(done) : 0;
  std::fprintf(stderr, "\r%-16s %9lld / %lld documents  %7.1f MB/s  ETA %5.1f s ", stage.c_str(),
               static_cast<long long>(done), static_cast<long long>(total), rate, eta);
  if (done == total) std::fprintf(stderr, "\n");
}

}  // namespace

StatusOr<PipelineConfig> PipelineConfig::FromJson(const nlohmann::json& j, const std::string& name) {
  if (!j.is_object()) return InvalidArgumentError("{}: a pipeline is a JSON object", name);
  PipelineConfig c;
  for (const auto& [key, v] : j.items()) {
    if (key == "inputs") {
      if (!v.is_array() || v.empty()) return InvalidArgumentError("{}: 'inputs' must be a non-empty list", name);
      for (size_t i = 0; i < v.size(); ++i) {
        ASSIGN_OR_RETURN(InputConfig in, InputConfig::FromJson(v[i], fmt::format("{}: inputs[{}]", name, i)));
        c.inputs.push_back(std::move(in));
      }
    } else if (key == "stages") {
      if (!v.is_array()) return InvalidArgumentError("{}: 'stages' must be a list", name);
      for (const auto& s : v) c.stages.push_back(s);
    } else if (key == "output") {
      if (!v.is_string() || v.get<std::string>().empty())
        return InvalidArgumentError("{}: 'output' must be a folder path", name);
      c.output = v.get<std::string>();
    } else if (key == "threads") {
      if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() > 4096)
        return InvalidArgumentError("{}: 'threads' must be an integer in [0, 4096]", name);
      c.threads = v.get<int>();
    } else if (key == "shards") {
      if (!v.is_object()) return InvalidArgumentError("{}: 'shards' must be an object ({{\"tokenizer\": PATH}})", name);
      c.shards = true;
      for (const auto& item : v.items()) {
        const nlohmann::json& x = item.value();
        if (item.key() == "tokenizer" && x.is_string()) {
          c.shard_tokenizer = x.get<std::string>();
        } else if (item.key() == "shard_tokens" && x.is_number_integer() && x.get<int64_t>() > 0) {
          c.shard_tokens = x.get<int64_t>();
        } else {
          return InvalidArgumentError(
              "{}: shards.{} = {} is not valid (known: tokenizer: a path, shard_tokens: an integer > 0)", name,
              item.key(), x.dump());
        }
      }
    } else if (key == "resume") {
      if (!v.is_boolean()) return InvalidArgumentError("{}: 'resume' must be true or false", name);
      c.resume = v.get<bool>();
    } else if (key == "keep_rejects") {
      if (!v.is_boolean()) return InvalidArgumentError("{}: 'keep_rejects' must be true or false", name);
      c.keep_rejects = v.get<bool>();
    } else {
      return InvalidArgumentError("{}: unknown key '{}' (known: inputs, stages, output, threads, keep_rejects, resume, shards)",
                                  name, key);
    }
  }
  if (c.inputs.empty()) return InvalidArgumentError("{}: 'inputs' is required", name);
  return c;
}

StatusOr<PipelineConfig> PipelineConfig::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("{} is not valid JSON", path);
  return FromJson(j, path);
}

namespace {

// Adds the counts of `from` into `into`: numbers add, objects merge key by key.
void AddCounts(nlohmann::json* into, const nlohmann::json& from) {
  if (from.is_object()) {
    if (!into->is_object()) *into = nlohmann::json::object();
    for (const auto& [k, v] : from.items()) AddCounts(&(*into)[k], v);
  } else if (from.is_number_integer()) {
    *into = (into->is_number_integer() ? into->get<int64_t>() : 0) + from.get<int64_t>();
  }
}

// The sum over ranks of each rank's counts, keys in byte order (as the
// std::maps they come from), whichever rank saw a key first.
StatusOr<Json> SumOverRanks(Comm& comm, const Json& mine) {
  ASSIGN_OR_RETURN(std::vector<std::string> all, comm.AllGather(mine.dump()));
  nlohmann::json sum = nlohmann::json::object();
  for (const std::string& part : all) AddCounts(&sum, nlohmann::json::parse(part));
  return Json::parse(sum.dump());
}

// Every input file, in reading order, stat-ed once: the split over ranks
// and the resume key both come from this one listing.
struct InputFile {
  size_t input;  // index into PipelineConfig::inputs
  std::string path;
  int64_t size = -1;  // -1: could not stat (the reader reports the error)
  int64_t mtime = 0;
};

StatusOr<std::vector<InputFile>> ListAllInputFiles(const PipelineConfig& c) {
  std::vector<InputFile> all;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    ASSIGN_OR_RETURN(std::vector<std::string> files, ListInputFiles(c.inputs[i]));
    for (std::string& f : files) {
      std::error_code ec, ec2;
      const auto size = std::filesystem::file_size(f, ec);
      const auto mtime = std::filesystem::last_write_time(f, ec2).time_since_epoch().count();
      all.push_back(InputFile{i, std::move(f), ec ? -1 : static_cast<int64_t>(size), ec2 ? 0 : static_cast<int64_t>(mtime)});
    }
  }
  return all;
}

// This rank's files: the inputs' files in order, cut into comm.size()
// contiguous runs of about equal bytes.
std::vector<InputFile> MyFiles(const std::vector<InputFile>& all, const Comm& comm) {
  uint64_t total = 0;
  for (const InputFile& f : all) total += static_cast<uint64_t>(std::max<int64_t>(f.size, 0));
  std::vector<InputFile> mine;
  uint64_t before = 0;
  for (size_t k = 0; k < all.size(); ++k) {
    // The rank whose share of the bytes this file starts in.
    const uint64_t owner = total ? static_cast<uint64_t>((static_cast<unsigned __int128>(before) * comm.size()) / total)
                                 : k * comm.size() / all.size();
    if (owner == static_cast<uint64_t>(comm.rank())) mine.push_back(all[k]);
    before += static_cast<uint64_t>(std::max<int64_t>(all[k].size, 0));
  }
  return mine;
}

// Reads this rank's part of the inputs; returns the manifest's "inputs" (all ranks').
StatusOr<Json> ReadMyPart(const PipelineConfig& c, const std::vector<InputFile>& all, Comm& comm, bool progress,
                          std::vector<Document>* docs) {
  std::vector<ReadStats> stats(c.inputs.size());
  Status read = [&]() -> Status {
    for (const InputFile& f : MyFiles(all, comm))
      RETURN_IF_ERROR(ReadInputFile(c.inputs[f.input], f.path, &stats[f.input],
                                    [&](Document&& d) { docs->push_back(std::move(d)); }));
    return Status::Ok();
  }();
  RETURN_IF_ERROR(AgreeOnStatus(comm, read));
  Json mine = Json::object();
  for (size_t i = 0; i < c.inputs.size(); ++i)
    mine[std::to_string(i)] = Json{{"files", stats[i].files}, {"documents", stats[i].documents},
                                   {"bytes", stats[i].bytes}, {"skipped", stats[i].skipped}};
  ASSIGN_OR_RETURN(Json sum, SumOverRanks(comm, mine));
  Json inputs = Json::array();
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const InputConfig& in = c.inputs[i];
    const Json& st = sum[std::to_string(i)];
    inputs.push_back(Json{{"source", in.source}, {"path", in.path}, {"files", st["files"]},
                          {"documents", st["documents"]}, {"bytes", st["bytes"]},
                          {"skipped", st["skipped"].is_object() ? st["skipped"] : Json::object()}});
    if (progress)
      std::fprintf(stderr, "read %-10s %6lld files %9lld documents %8.1f MB\n", in.source.c_str(),
                   st["files"].get<long long>(), st["documents"].get<long long>(),
                   static_cast<double>(st["bytes"].get<int64_t>()) / 1e6);
  }
  return inputs;
}

// Runs one stage on this rank's documents; returns its report (all ranks')
// and appends this rank's rejects lines to *rejects.
StatusOr<Json> RunStage(const PipelineConfig& c, Stage& s, Comm& comm, bool progress, std::vector<Document>* io,
                        std::string* rejects) {
  std::vector<Document>& docs = *io;
  const Clock::time_point t0 = Clock::now();
  std::map<std::string, Tally> in_by_source, out_by_source;
  int64_t in_bytes = 0;
  for (const Document& d : docs) in_by_source[d.source].Add(d), in_bytes += static_cast<int64_t>(d.text.size());
  std::vector<Verdict> verdicts;
  if (s.document) {
    verdicts.resize(docs.size());
    const int64_t n = static_cast<int64_t>(docs.size());
    const int64_t chunk = 4096;
    int64_t bytes_done = 0;
    for (int64_t start = 0; start < n; start += chunk) {
      const int64_t end = std::min(n, start + chunk);
      ParallelFor(end - start, 16, [&](int64_t a, int64_t b) {
        for (int64_t i = start + a; i < start + b; ++i)
          verdicts[i] = s.Applies(docs[i]) ? s.document->Apply(&docs[i]) : Verdict::Keep();
      });
      for (int64_t i = start; i < end; ++i) bytes_done += static_cast<int64_t>(docs[i].text.size());
      Progress(progress, s.name, end, n, bytes_done, Since(t0));
    }
  } else {  // the named sources' documents (or all), in order, on every rank at once
    std::vector<size_t> index;
    std::vector<Document> subset;
    for (size_t i = 0; i < docs.size(); ++i)
      if (s.Applies(docs[i])) {
        index.push_back(i);
        subset.push_back(std::move(docs[i]));
      }
    StatusOr<std::vector<Verdict>> v = s.corpus->Apply(&subset, comm);
    if (v.ok() && v->size() != subset.size())
      v = InternalError("stage {} returned {} verdicts for {} documents", s.name, v->size(), subset.size());
    RETURN_IF_ERROR(AgreeOnStatus(comm, v.status()));
    verdicts.assign(docs.size(), Verdict::Keep());
    for (size_t k = 0; k < index.size(); ++k) {
      docs[index[k]] = std::move(subset[k]);
      verdicts[index[k]] = std::move((*v)[k]);
    }
    if (progress)
      std::fprintf(stderr, "%-16s %9zu documents  %7.1f MB/s  %.1f s\n", s.name.c_str(), docs.size(),
                   static_cast<double>(in_bytes) / 1e6 / std::max(Since(t0), 1e-9), Since(t0));
  }
  std::map<std::string, int64_t> dropped;
  std::vector<Document> kept;
  kept.reserve(docs.size());
  for (size_t i = 0; i < docs.size(); ++i) {
    if (verdicts[i].keep) {
      // Copies beyond the first (balancing) get ids "<id>~<k>".
      for (int k = 1; k < verdicts[i].copies; ++k) {
        Document copy = docs[i];
        copy.id += '~';
        copy.id += std::to_string(k);
        out_by_source[copy.source].Add(copy);
        kept.push_back(std::move(copy));
      }
      out_by_source[docs[i].source].Add(docs[i]);
      kept.push_back(std::move(docs[i]));
    } else {
      dropped[verdicts[i].reason]++;
      if (c.keep_rejects) *rejects += DocLine(docs[i], &s.name, &verdicts[i].reason);
    }
  }
  docs = std::move(kept);
  ASSIGN_OR_RETURN(Json sum, SumOverRanks(comm, Json{{"in", BySource(in_by_source)},
                                                     {"out", BySource(out_by_source)},
                                                     {"dropped", dropped}}));
  Json report = {{"stage", s.name}, {"in", sum["in"]}, {"out", sum["out"]}, {"dropped", sum["dropped"]}};
  int64_t out_bytes = 0;
  for (const auto& [src, t] : sum["out"].items()) out_bytes += t["bytes"].get<int64_t>();
  Json shares = Json::object();
  for (const auto& [src, t] : sum["out"].items())
    shares[src] = out_bytes ? static_cast<double>(t["bytes"].get<int64_t>()) / static_cast<double>(out_bytes) : 0.0;
  report["out_share_of_bytes"] = shares;
  return report;
}

// Every input file's path, size and modification time, as one string.
std::string InputFingerprint(const std::vector<InputFile>& all) {
  std::string out;
  for (const InputFile& f : all) out += fmt::format("{}\t{}\t{}\n", f.path, f.size, f.mtime);
  return out;
}

// Threads per rank: the pipeline's, or the machine's cores shared among the
// ranks on it.
int RankThreads(const PipelineConfig& c, const Comm& comm) {
  if (c.threads > 0) return c.threads;
  if (comm.size() == 1) return 0;
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (local == nullptr) local = std::getenv("SLURM_NTASKS_PER_NODE");
  const int ranks_here = local ? std::max(1, std::atoi(local)) : comm.size();
  return std::max(1, static_cast<int>(std::thread::hardware_concurrency()) / ranks_here);
}

}  // namespace

StatusOr<nlohmann::ordered_json> RunPipeline(const PipelineConfig& c, bool progress) {
  return RunPipeline(c, progress, *LocalComm());
}

StatusOr<nlohmann::ordered_json> RunPipeline(const PipelineConfig& c, bool progress, Comm& comm) {
  if (c.output.empty())
    return InvalidArgumentError("no output folder: set 'output' in the pipeline file or pass --output");
  SetNumThreads(RankThreads(c, comm));
  progress = progress && comm.rank() == 0;
  // Build every stage first: a bad option fails before any work.
  std::vector<Stage> stages;
  for (size_t i = 0; i < c.stages.size(); ++i) {
    ASSIGN_OR_RETURN(Stage s, MakeStage(c.stages[i], fmt::format("stages[{}]", i)));
    stages.push_back(std::move(s));
  }
  Json timings = {{"ranks", comm.size()}, {"threads_per_rank", NumThreads()}};
  const Clock::time_point t_start = Clock::now();

  // Resume after the last stage every rank saved with this configuration's key.
  StatusOr<std::vector<InputFile>> files = ListAllInputFiles(c);
  RETURN_IF_ERROR(AgreeOnStatus(comm, files.status()));
  const std::string fingerprint = InputFingerprint(*files);
  auto key_for = [&](int k) { return PipelineStateKey(c, fingerprint, k, comm.size()); };
  const std::string state_path = PipelineStatePath(c.output, comm.rank(), comm.size());
  PipelineState state;
  if (c.resume) {
    StatusOr<PipelineState> saved = LoadPipelineState(state_path, key_for);
    ASSIGN_OR_RETURN(std::vector<std::string> done, comm.AllGather(std::to_string(saved.ok() ? saved->completed : 0)));
    if (saved.ok() && std::all_of(done.begin(), done.end(), [&](const std::string& d) { return d == done[0]; })) {
      state = std::move(*saved);
      if (progress)
        std::fprintf(stderr, "resuming after stage %d of %zu (%s)\n", state.completed, stages.size(),
                     stages[state.completed - 1].name.c_str());
    } else if (!saved.ok() && saved.status().code() != StatusCode::kNotFound && progress) {
      std::fprintf(stderr, "starting over: %s\n", saved.status().ToString().c_str());
    }
  }
  if (state.completed == 0) {
    ASSIGN_OR_RETURN(Json inputs, ReadMyPart(c, *files, comm, progress, &state.docs));
    state.manifest = Json{{"inputs", inputs}, {"stages", Json::array()}};
    timings["read_seconds"] = Since(t_start);
  }
  timings["resumed_after_stages"] = state.completed;
  Json stage_times = Json::array();
  for (size_t i = state.completed; i < stages.size(); ++i) {
    const Clock::time_point t0 = Clock::now();
    state.rejects.emplace_back();
    ASSIGN_OR_RETURN(Json report, RunStage(c, stages[i], comm, progress, &state.docs, &state.rejects.back()));
    state.manifest["stages"].push_back(std::move(report));
    state.completed = static_cast<int>(i) + 1;
    if (c.resume) RETURN_IF_ERROR(AgreeOnStatus(comm, SavePipelineState(state_path, key_for(state.completed), state)));
    stage_times.push_back(Json{{"stage", stages[i].name}, {"seconds", Since(t0)}});
  }
  timings["stages"] = stage_times;

  // The output, gathered on rank 0 in rank order (= input order).
  std::map<std::string, Tally> by_source, by_language;
  std::string out;
  for (const Document& d : state.docs) {
    by_source[d.source].Add(d);
    by_language[d.language.empty() ? "unknown" : d.language].Add(d);
    out += DocLine(d, nullptr, nullptr);
  }
  ASSIGN_OR_RETURN(Json sum, SumOverRanks(comm, Json{{"documents", static_cast<int64_t>(state.docs.size())},
                                                     {"by_source", BySource(by_source)},
                                                     {"by_language", BySource(by_language)}}));
  Json manifest = state.manifest;
  manifest["output"] = Json{{"documents", sum["documents"]}, {"by_source", sum["by_source"]},
                            {"by_language", sum["by_language"]}};
  ASSIGN_OR_RETURN(std::vector<std::string> parts, comm.Gather(out, 0));
  std::string all_rejects;
  if (c.keep_rejects)
    for (const std::string& mine : state.rejects) {
      ASSIGN_OR_RETURN(std::vector<std::string> r, comm.Gather(mine, 0));
      for (const std::string& p : r) all_rejects += p;
    }
  Status written = [&]() -> Status {
    if (comm.rank() != 0) return Status::Ok();
    std::error_code ec;
    std::filesystem::create_directories(c.output, ec);
    if (ec) return IoError("cannot create {}: {}", c.output, ec.message());
    std::string documents;
    for (const std::string& p : parts) documents += p;
    RETURN_IF_ERROR(WriteFileAtomic(c.output + "/documents.jsonl", documents));
    if (c.keep_rejects) RETURN_IF_ERROR(WriteFileAtomic(c.output + "/rejects.jsonl", all_rejects));
    if (c.shards) {
      const Clock::time_point t0 = Clock::now();
      TextShardOptions o;
      o.inputs = {c.output + "/documents.jsonl"};
      o.out_dir = c.output + "/shards";
      o.format = "jsonl";
      o.tokenizer = c.shard_tokenizer;
      o.shard_tokens = c.shard_tokens;
      o.threads = NumThreads();
      o.progress = progress;
      StatusOr<TextShardResult> r = WriteTextShards(o);
      if (!r.ok()) return Status(r.status().code(), "shards: " + r.status().message());
      manifest["shards"] = Json{{"folder", "shards"}, {"files", r->shards.size()}, {"documents", r->documents},
                                {"tokens", r->tokens}, {"vocab_size", r->vocab_size},
                                {"tokenizer", c.shard_tokenizer.empty() ? "bytes" : c.shard_tokenizer}};
      timings["shards_seconds"] = Since(t0);
    }
    RETURN_IF_ERROR(WriteFileAtomic(c.output + "/manifest.json", manifest.dump(2) + "\n"));
    timings["seconds"] = Since(t_start);
    return WriteFileAtomic(c.output + "/timings.json", timings.dump(2) + "\n");
  }();
  RETURN_IF_ERROR(AgreeOnStatus(comm, written));
  if (c.shards) {  // rank 0 tokenized; every rank returns the same manifest
    ASSIGN_OR_RETURN(std::vector<std::string> s, comm.AllGather(comm.rank() == 0 ? manifest["shards"].dump() : ""));
    manifest["shards"] = Json::parse(s[0]);
  }
  return manifest;
}

}  // namespace seek
