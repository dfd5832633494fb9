#include "core/log.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace seek {
namespace {

LogLevel LevelFromEnv() {
  const char* e = std::getenv("SEEK_LOG_LEVEL");
  if (e == nullptr) return LogLevel::kInfo;
  if (!std::strcmp(e, "debug")) return LogLevel::kDebug;
  if (!std::strcmp(e, "warn")) return LogLevel::kWarn;
  if (!std::strcmp(e, "error")) return LogLevel::kError;
  return LogLevel::kInfo;
}

std::atomic<int>& Threshold() {
  static std::atomic<int> level{static_cast<int>(LevelFromEnv())};
  return level;
}

}  // namespace

void SetLogLevel(LogLevel level) { Threshold() = static_cast<int>(level); }
bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= Threshold().load(); }

void LogLine(LogLevel level, const std::string& message) {
  static const char* kTags[] = {"D", "I", "W", "E"};
  using namespace std::chrono;
  double t = duration<double>(system_clock::now().time_since_epoch()).count();
  std::string line = fmt::format("[{} {:.3f}] {}\n", kTags[static_cast<int>(level)], t, message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace seek
