#include "train/metrics.h"

#include "io/gnuplot.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "io/file_util.h"

namespace seek {

StatusOr<MetricsLog> MetricsLog::Open(const std::string& run_dir, int64_t keep_up_to_step) {
  const std::string path = run_dir + "/metrics.jsonl";
  if (keep_up_to_step >= 0 && std::filesystem::exists(path)) {
    ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
    std::istringstream in(text);
    std::string line, kept;
    while (std::getline(in, line)) {
      nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
      if (j.is_object() && j.value("step", int64_t{0}) <= keep_up_to_step) kept += line + "\n";
    }
    RETURN_IF_ERROR(WriteFileAtomic(path, kept));
  }
  FILE* f = std::fopen(path.c_str(), "a");
  if (f == nullptr) return IoError("cannot open {} for appending: {}", path, std::strerror(errno));
  return MetricsLog(path, f);
}

MetricsLog::~MetricsLog() {
  if (f_) std::fclose(f_);
}

Status MetricsLog::Append(const nlohmann::json& line) {
  std::string s = line.dump() + "\n";
  if (std::fwrite(s.data(), 1, s.size(), f_) != s.size() || std::fflush(f_) != 0)
    return IoError("cannot write {}: {}", path_, std::strerror(errno));
  return Status::Ok();
}

StatusOr<std::string> PlotLoss(const std::string& run_dir) {
  const std::string metrics = run_dir + "/metrics.jsonl";
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(metrics));
  std::string train, val;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_object() || !j.contains("step")) continue;
    // The mean over each logging window: single steps are noisy.
    const char* key = j.contains("loss_avg") ? "loss_avg" : "loss";
    if (j.contains(key) && j[key].is_number())
      train += std::to_string(j["step"].get<int64_t>()) + " " + j[key].dump() + "\n";
    if (j.contains("val_loss") && j["val_loss"].is_number())
      val += std::to_string(j["step"].get<int64_t>()) + " " + j["val_loss"].dump() + "\n";
  }
  if (train.empty()) return NotFoundError("{} has no training losses to plot", metrics);
  const std::string train_dat = run_dir + "/.plot_train.dat", val_dat = run_dir + "/.plot_val.dat";
  const std::string png = run_dir + "/loss.png";
  std::string script = "set terminal pngcairo size 900,540 enhanced font 'sans,11'\n"
                       "set output '" + png + ".tmp'\n"
                       "set title 'Seek training: " + run_dir + "' noenhanced\n"
                       "set xlabel 'step'\nset ylabel 'loss (nats/token)'\nset grid\n"
                       "set key top right\n"
                       "plot '" + train_dat + "' using 1:2 with lines lw 1.5 title 'train (mean over each logging window)'";
  if (!val.empty()) script += ", '" + val_dat + "' using 1:2 with linespoints lw 2 pt 7 title 'validation'";
  script += "\n";
  RETURN_IF_ERROR(RunGnuplot(script, {{train_dat, train}, {val_dat, val}}, png));
  return png;
}

}  // namespace seek
