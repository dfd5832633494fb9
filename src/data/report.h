// data/report.h — `seek data report`: a pipeline run's manifest.json as a
// table (documents and bytes kept per stage and source, drops by reason) and
// a PNG (documents kept after each stage, one bar per source; gnuplot).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/status.h"

namespace seek {

std::string ReportTable(const nlohmann::ordered_json& manifest);
// Writes `png` (atomically).
Status DrawReport(const nlohmann::ordered_json& manifest, const std::string& png);

}  // namespace seek
