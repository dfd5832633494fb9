// io/file_util.h — whole-file reads and crash-safe writes.
#pragma once

#include <string>
#include <string_view>

#include "core/status.h"

namespace seek {

// Reads a whole file. Errors name the path and the OS reason.
StatusOr<std::string> ReadFileToString(const std::string& path);
// Writes `contents` to path atomically: path.tmp.<pid> in the same directory,
// write, fsync, rename over path, fsync the directory. A crash leaves either
// the old file or the new one, never a torn one.
Status WriteFileAtomic(const std::string& path, std::string_view contents);

}  // namespace seek
