// io/gnuplot.h — draws a PNG by piping a script to gnuplot (gnuplot-nox).
#pragma once

#include <string>
#include <vector>

#include "core/status.h"

namespace seek {

// Runs `script` (which must `set output OUTPUT.tmp`... see below) with the
// data files written first and removed afterwards: each (path, contents) of
// `data` is written atomically before gnuplot starts. The script draws to
// `png` + ".tmp", which is renamed to `png` on success, so a failed plot
// never leaves a half-written image.
Status RunGnuplot(const std::string& script, const std::vector<std::pair<std::string, std::string>>& data,
                  const std::string& png);

}  // namespace seek
