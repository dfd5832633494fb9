#include "data/pipeline.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>

#include "core/threads.h"
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
    } else if (key == "keep_rejects") {
      if (!v.is_boolean()) return InvalidArgumentError("{}: 'keep_rejects' must be true or false", name);
      c.keep_rejects = v.get<bool>();
    } else {
      return InvalidArgumentError("{}: unknown key '{}' (known: inputs, stages, output, threads, keep_rejects)",
                                  name, key);
    }
  }
  if (c.inputs.empty()) return InvalidArgumentError("{}: 'inputs' is required", name);
  if (c.output.empty()) return InvalidArgumentError("{}: 'output' is required", name);
  return c;
}

StatusOr<PipelineConfig> PipelineConfig::FromFile(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  nlohmann::json j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgumentError("{} is not valid JSON", path);
  return FromJson(j, path);
}

StatusOr<nlohmann::ordered_json> RunPipeline(const PipelineConfig& c, bool progress) {
  if (c.threads > 0) SetNumThreads(c.threads);
  // Build every stage first: a bad option fails before any work.
  std::vector<Stage> stages;
  for (size_t i = 0; i < c.stages.size(); ++i) {
    ASSIGN_OR_RETURN(Stage s, MakeStage(c.stages[i], fmt::format("stages[{}]", i)));
    stages.push_back(std::move(s));
  }
  Json manifest = Json::object();
  Json inputs = Json::array();
  std::vector<Document> docs;
  const Clock::time_point t_read = Clock::now();
  for (const InputConfig& in : c.inputs) {
    ReadStats st;
    RETURN_IF_ERROR(ReadInput(in, &st, [&](Document&& d) { docs.push_back(std::move(d)); }));
    inputs.push_back(Json{{"source", in.source}, {"path", in.path}, {"files", st.files},
                          {"documents", st.documents}, {"bytes", st.bytes}, {"skipped", st.skipped}});
    if (progress)
      std::fprintf(stderr, "read %-10s %6lld files %9lld documents %8.1f MB\n", in.source.c_str(),
                   static_cast<long long>(st.files), static_cast<long long>(st.documents),
                   static_cast<double>(st.bytes) / 1e6);
  }
  manifest["inputs"] = inputs;
  manifest["read_seconds"] = Since(t_read);

  std::string rejects;
  Json stage_reports = Json::array();
  for (Stage& s : stages) {
    const Clock::time_point t0 = Clock::now();
    std::map<std::string, Tally> in_by_source, out_by_source;
    for (const Document& d : docs) in_by_source[d.source].Add(d);
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
    } else if (s.sources.empty()) {
      ASSIGN_OR_RETURN(verdicts, s.corpus->Apply(&docs));
      if (verdicts.size() != docs.size())
        return InternalError("stage {} returned {} verdicts for {} documents", s.name, verdicts.size(), docs.size());
    } else {  // only the named sources' documents, in order
      std::vector<size_t> index;
      std::vector<Document> subset;
      for (size_t i = 0; i < docs.size(); ++i)
        if (s.Applies(docs[i])) {
          index.push_back(i);
          subset.push_back(std::move(docs[i]));
        }
      ASSIGN_OR_RETURN(std::vector<Verdict> v, s.corpus->Apply(&subset));
      if (v.size() != subset.size())
        return InternalError("stage {} returned {} verdicts for {} documents", s.name, v.size(), subset.size());
      verdicts.assign(docs.size(), Verdict::Keep());
      for (size_t k = 0; k < index.size(); ++k) {
        docs[index[k]] = std::move(subset[k]);
        verdicts[index[k]] = std::move(v[k]);
      }
    }
    std::map<std::string, int64_t> dropped;
    std::vector<Document> kept;
    kept.reserve(docs.size());
    for (size_t i = 0; i < docs.size(); ++i) {
      if (verdicts[i].keep) {
        // Copies beyond the first (balancing) get ids "<id>~<k>".
        for (int k = 1; k < verdicts[i].copies; ++k) {
          Document copy = docs[i];
          copy.id += "~" + std::to_string(k);
          out_by_source[copy.source].Add(copy);
          kept.push_back(std::move(copy));
        }
        out_by_source[docs[i].source].Add(docs[i]);
        kept.push_back(std::move(docs[i]));
      } else {
        dropped[verdicts[i].reason]++;
        if (c.keep_rejects) rejects += DocLine(docs[i], &s.name, &verdicts[i].reason);
      }
    }
    docs = std::move(kept);
    Json report = {{"stage", s.name}, {"seconds", Since(t0)}, {"in", BySource(in_by_source)},
                   {"out", BySource(out_by_source)}, {"dropped", dropped}};
    int64_t out_bytes = 0;
    for (const auto& [src, t] : out_by_source) out_bytes += t.bytes;
    Json shares = Json::object();
    for (const auto& [src, t] : out_by_source)
      shares[src] = out_bytes ? static_cast<double>(t.bytes) / static_cast<double>(out_bytes) : 0.0;
    report["out_share_of_bytes"] = shares;
    stage_reports.push_back(std::move(report));
  }
  manifest["stages"] = stage_reports;

  std::map<std::string, Tally> by_source, by_language;
  std::string out;
  for (const Document& d : docs) {
    by_source[d.source].Add(d);
    by_language[d.language.empty() ? "unknown" : d.language].Add(d);
    out += DocLine(d, nullptr, nullptr);
  }
  manifest["output"] = Json{{"documents", static_cast<int64_t>(docs.size())},
                            {"by_source", BySource(by_source)},
                            {"by_language", BySource(by_language)}};
  std::error_code ec;
  std::filesystem::create_directories(c.output, ec);
  if (ec) return IoError("cannot create {}: {}", c.output, ec.message());
  RETURN_IF_ERROR(WriteFileAtomic(c.output + "/documents.jsonl", out));
  if (c.keep_rejects) RETURN_IF_ERROR(WriteFileAtomic(c.output + "/rejects.jsonl", rejects));
  RETURN_IF_ERROR(WriteFileAtomic(c.output + "/manifest.json", manifest.dump(2) + "\n"));
  return manifest;
}

}  // namespace seek
