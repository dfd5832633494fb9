// model/checkpoint.h — model directories in the Hugging Face layout.
//
// A model directory holds config.json (HF keys of the model's family) and
// model.safetensors (HF tensor names and layouts; see
// docs/formats/checkpoint.md). Loading checks every tensor's name, shape and
// dtype against the config and rejects missing and unexpected tensors.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/dtype.h"
#include "core/status.h"
#include "io/safetensors.h"
#include "model/transformer.h"

namespace seek {

// Copies weights from an HF-named safetensors file into model's parameters.
Status LoadWeights(const SafetensorsFile& file, Transformer* model);
// The model's tensors under HF names and layouts, read from `base`:
// params().data() for weights, params().grad() for their gradients.
std::vector<std::pair<std::string, Tensor>> ToHfTensors(const Transformer& model,
                                                       const float* base);
// Writes model's weights with HF names (stored as `dtype`), atomically.
Status SaveWeights(const Transformer& model, const std::string& path, DType dtype = DType::kF32);

// dir/config.json + dir/model.safetensors. Creates dir if needed; each file
// is written atomically.
Status SaveModelDir(const Transformer& model, const std::string& dir, DType dtype = DType::kF32);
StatusOr<std::unique_ptr<Transformer>> LoadModelDir(const std::string& dir);

}  // namespace seek
