// core/log.h — leveled logging to stderr.
//
// SEEK_LOG(kInfo, "loaded {} tensors from {}", n, path). The level threshold
// comes from SetLogLevel or the SEEK_LOG_LEVEL environment variable
// (debug|info|warn|error). Thread-safe: each line is written with one fwrite.
#pragma once

#include <string>

#include <fmt/format.h>

namespace seek {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
void LogLine(LogLevel level, const std::string& message);

}  // namespace seek

#define SEEK_LOG(level, ...)                                                         \
  do {                                                                               \
    if (::seek::LogEnabled(::seek::LogLevel::level))                                 \
      ::seek::LogLine(::seek::LogLevel::level, fmt::format(__VA_ARGS__));            \
  } while (0)
