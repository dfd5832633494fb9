#include "model/family.h"

namespace seek {
namespace {

// The registry: one line per family.
const Family* const* Registry(size_t* n) {
  static const Family* const kFamilies[] = {&Gpt2Family(), &LlamaFamily()};
  *n = sizeof(kFamilies) / sizeof(kFamilies[0]);
  return kFamilies;
}

}  // namespace

const Family* FindFamily(const std::string& model_type) {
  size_t n;
  const Family* const* families = Registry(&n);
  for (size_t i = 0; i < n; ++i)
    if (families[i]->model_type == model_type) return families[i];
  return nullptr;
}

std::string KnownFamilies() {
  size_t n;
  const Family* const* families = Registry(&n);
  std::string out;
  for (size_t i = 0; i < n; ++i) out += (i ? ", " : "") + families[i]->model_type;
  return out;
}

}  // namespace seek
