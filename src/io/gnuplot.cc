#include "io/gnuplot.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "io/file_util.h"

namespace seek {

Status RunGnuplot(const std::string& script, const std::vector<std::pair<std::string, std::string>>& data,
                  const std::string& png) {
  for (const auto& [path, contents] : data) RETURN_IF_ERROR(WriteFileAtomic(path, contents));
  std::error_code ec;
  auto cleanup = [&] {
    for (const auto& [path, contents] : data) std::filesystem::remove(path, ec);
  };
  FILE* p = popen("gnuplot 2>&1", "w");
  if (p == nullptr) {
    cleanup();
    return IoError("cannot run gnuplot: {}", std::strerror(errno));
  }
  std::fwrite(script.data(), 1, script.size(), p);
  const int rc = pclose(p);
  cleanup();
  if (rc != 0) return IoError("gnuplot failed (exit {}; is gnuplot-nox installed?) drawing {}", rc, png);
  std::filesystem::rename(png + ".tmp", png, ec);
  if (ec) return IoError("cannot write {}: {}", png, ec.message());
  return Status::Ok();
}

}  // namespace seek
