#include "data/report.h"

#include <set>

#include <fmt/format.h>

#include "io/gnuplot.h"

namespace seek {
namespace {

using Json = nlohmann::ordered_json;

// Tolerant reads: a manifest may be edited by hand; nothing here may throw.
int64_t Int(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return 0;
  return j[key].get<int64_t>();
}
std::string Str(const Json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_string()) return "?";
  return j[key].get<std::string>();
}
Json Array(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_array() ? j[key] : Json::array();
}
Json Object(const Json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_object() ? j[key] : Json::object();
}

// Rows: "read" then each stage; columns: sources; cells: documents kept.
struct Grid {
  std::vector<std::string> rows, sources;
  std::vector<std::vector<std::pair<int64_t, int64_t>>> cells;  // (documents, bytes)
};

Grid MakeGrid(const Json& m) {
  Grid g;
  std::set<std::string> seen;
  for (const Json& in : Array(m, "inputs"))
    if (seen.insert(Str(in, "source")).second) g.sources.push_back(Str(in, "source"));
  auto row = [&](const std::string& name, const Json& by_source) {
    g.rows.push_back(name);
    std::vector<std::pair<int64_t, int64_t>> r;
    for (const std::string& s : g.sources) {
      const Json t = by_source.contains(s) ? by_source[s] : Json::object();
      r.emplace_back(Int(t, "documents"), Int(t, "bytes"));
    }
    g.cells.push_back(std::move(r));
  };
  Json read = Json::object();
  for (const Json& in : Array(m, "inputs")) {
    const std::string src = Str(in, "source");
    const Json prev = read.contains(src) ? read[src] : Json::object();
    read[src] = Json{{"documents", Int(prev, "documents") + Int(in, "documents")},
                     {"bytes", Int(prev, "bytes") + Int(in, "bytes")}};
  }
  row("read", read);
  for (const Json& st : Array(m, "stages")) row(Str(st, "stage"), Object(st, "out"));
  return g;
}

}  // namespace

std::string ReportTable(const Json& m) {
  const Grid g = MakeGrid(m);
  std::string out = fmt::format("{:<18}", "documents");
  for (const std::string& s : g.sources) out += fmt::format(" {:>18}", s);
  out += "\n";
  for (size_t r = 0; r < g.rows.size(); ++r) {
    out += fmt::format("{:<18}", g.rows[r]);
    for (const auto& [docs, bytes] : g.cells[r])
      out += fmt::format(" {:>9} {:>6.1f} MB", docs, static_cast<double>(bytes) / 1e6);
    out += "\n";
  }
  for (const Json& st : Array(m, "stages")) {
    const Json d = Object(st, "dropped");
    if (d.empty()) continue;
    out += fmt::format("{} dropped:", Str(st, "stage"));
    for (const auto& [reason, n] : d.items()) out += fmt::format(" {} {}", reason, n.dump());
    out += "\n";
  }
  return out;
}

Status DrawReport(const Json& m, const std::string& png) {
  const Grid g = MakeGrid(m);
  if (g.sources.empty()) return InvalidArgumentError("the manifest lists no inputs; nothing to draw");
  std::string dat = "stage";
  for (const std::string& s : g.sources) dat += " " + s;
  dat += "\n";
  for (size_t r = 0; r < g.rows.size(); ++r) {
    dat += g.rows[r];
    for (const auto& [docs, bytes] : g.cells[r]) {
      dat += ' ';  // not += " " + to_string(docs): GCC 12 -O3 warns (-Wrestrict false positive)
      dat += std::to_string(docs);
    }
    dat += "\n";
  }
  const std::string dat_path = png + ".dat";
  std::string script = "set terminal pngcairo size 1000,560 enhanced font 'sans,11'\n"
                       "set output '" + png + ".tmp'\n"
                       "set title 'seek data: documents kept after each stage, per source' noenhanced\n"
                       "set style data histogram\nset style histogram cluster gap 1\n"
                       "set style fill solid 0.85 border -1\nset boxwidth 0.9\n"
                       "set logscale y\nset yrange [1:*]\nset grid ytics\nset key top right\n"
                       "set ylabel 'documents (log scale)'\nset xtics noenhanced\n"
                       "plot ";
  for (size_t i = 0; i < g.sources.size(); ++i)
    script += fmt::format("{}'{}' using {}:xtic(1) title columnheader({})", i ? ", " : "", dat_path, i + 2, i + 2);
  script += "\n";
  return RunGnuplot(script, {{dat_path, dat}}, png);
}

}  // namespace seek
