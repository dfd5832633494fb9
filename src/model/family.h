// model/family.h — what a model family is: a description, not code paths.
//
// A family maps HF config.json keys to ModelConfig, states its Architecture,
// and lists its HF tensor names with how each maps onto Seek's parameters.
// Adding a family is one new file defining a Family plus one line in
// family.cc's registry.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "model/config.h"
#include "model/json_fields.h"

namespace seek {

// One tensor in an HF checkpoint and where its values live in Seek.
// Seek stores linear weights as [out, in] (nn.Linear layout) and fuses
// q/k/v (rows: q heads, then k heads, then v heads) and gate/up (rows: gate,
// then up). An HF tensor covers rows [row_begin, row_begin + rows) of a Seek
// parameter; `transposed` means HF stores it as [in, out] (GPT-2's Conv1D).
struct HfTensor {
  std::string hf_name;
  std::string param;   // Seek parameter name (see params.h)
  int64_t row_begin = 0;
  int64_t rows = -1;   // -1: all rows of the parameter
  bool transposed = false;
};

struct Family {
  std::string model_type;    // HF "model_type"
  std::string architecture;  // HF "architectures"[0]
  // Fills *config (sizes, architecture) from the HF config object's fields.
  Status (*parse)(JsonFields* fields, ModelConfig* config);
  // Writes the family-specific HF keys.
  void (*write)(const ModelConfig& config, nlohmann::json* j);
  // Every tensor an HF checkpoint of this config holds.
  std::vector<HfTensor> (*tensors)(const ModelConfig& config);
};

// Null when no family has this model_type.
const Family* FindFamily(const std::string& model_type);
// "gpt2, llama": for error messages.
std::string KnownFamilies();

// Defined in one file per family.
const Family& Gpt2Family();
const Family& LlamaFamily();

}  // namespace seek
