#include "core/profile.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <vector>

#include <fmt/format.h>

namespace seek::profile {
namespace {

struct Total {
  double seconds = 0;
  int64_t calls = 0;
};

std::mutex mu;
std::map<std::string, Total>& Totals() {
  static auto* totals = new std::map<std::string, Total>;  // never destroyed: reports may run at exit
  return *totals;
}

}  // namespace

bool Enabled() {
  static const bool on = [] {
    const char* v = std::getenv("SEEK_PROFILE");
    return v != nullptr && *v != '\0' && std::strcmp(v, "0") != 0;
  }();
  return on;
}

void Add(const char* name, double seconds) {
  std::lock_guard<std::mutex> lock(mu);
  Total& t = Totals()[name];
  t.seconds += seconds;
  ++t.calls;
}

std::string Report() {
  if (!Enabled()) return "";
  std::lock_guard<std::mutex> lock(mu);
  std::vector<std::pair<std::string, Total>> rows(Totals().begin(), Totals().end());
  std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.second.seconds > b.second.seconds; });
  double sum = 0;
  for (const auto& r : rows) sum += r.second.seconds;
  std::string out = fmt::format("{:<28} {:>10} {:>7} {:>9}\n", "phase (SEEK_PROFILE)", "seconds", "share", "calls");
  for (const auto& [name, t] : rows)
    out += fmt::format("{:<28} {:>10.3f} {:>6.1f}% {:>9}\n", name, t.seconds, sum > 0 ? 100 * t.seconds / sum : 0.0,
                       t.calls);
  out += fmt::format("{:<28} {:>10.3f}\n", "total in scopes", sum);
  return out;
}

void Reset() {
  std::lock_guard<std::mutex> lock(mu);
  Totals().clear();
}

}  // namespace seek::profile
