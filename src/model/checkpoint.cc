#include "model/checkpoint.h"

#include <filesystem>
#include <set>
#include <vector>

#include "io/file_util.h"
#include "model/family.h"

namespace seek {
namespace {

struct Slice {
  const HfTensor* hf;
  const ParamInfo* param;
  int64_t rows, cols;  // of the Seek slice: [rows, cols] (cols = 1 for vectors)
  Shape hf_shape;
};

StatusOr<std::vector<Slice>> Slices(const Transformer& model, const std::vector<HfTensor>& hf) {
  std::vector<Slice> out;
  for (const HfTensor& t : hf) {
    const ParamInfo* p = model.params().Find(t.param);
    if (p == nullptr)
      return Status(StatusCode::kInternal, "family maps " + t.hf_name + " to unknown " + t.param);
    Slice s{&t, p, 0, 0, {}};
    const int64_t total_rows = p->shape[0];
    s.rows = t.rows < 0 ? total_rows : t.rows;
    s.cols = p->shape.ndim() == 2 ? p->shape[1] : 1;
    if (p->shape.ndim() == 1)
      s.hf_shape = Shape{s.rows};
    else
      s.hf_shape = t.transposed ? Shape{s.cols, s.rows} : Shape{s.rows, s.cols};
    out.push_back(s);
  }
  return out;
}

}  // namespace

Status LoadWeights(const SafetensorsFile& file, Transformer* model) {
  const ModelConfig& c = model->config();
  const std::vector<HfTensor> hf = FindFamily(c.family)->tensors(c);
  ASSIGN_OR_RETURN(std::vector<Slice> slices, Slices(*model, hf));
  std::set<std::string> expected;
  for (const Slice& s : slices) expected.insert(s.hf->hf_name);
  for (const SafetensorsEntry& e : file.entries())
    if (!expected.count(e.name))
      return InvalidArgumentError("{}: unexpected tensor '{}' for a {} model with this config "
                                  "(wrong family, layer count or tie_word_embeddings?)",
                                  file.label(), e.name, c.family);
  std::vector<float> tmp;
  for (const Slice& s : slices) {
    const SafetensorsEntry* e = file.Find(s.hf->hf_name);
    if (e == nullptr)
      return NotFoundError("{}: missing tensor '{}' (expected shape {})", file.label(),
                           s.hf->hf_name, s.hf_shape.ToString());
    if (e->shape != s.hf_shape)
      return InvalidArgumentError("{}: tensor '{}' has shape {}, but the config implies {}",
                                  file.label(), e->name, e->shape.ToString(),
                                  s.hf_shape.ToString());
    tmp.resize(s.rows * s.cols);
    RETURN_IF_ERROR(file.ReadF32(e->name, tmp.data(), s.rows * s.cols));
    float* dst = model->params().data() + s.param->offset + s.hf->row_begin * s.cols;
    if (s.hf->transposed) {  // HF [cols, rows] -> Seek [rows, cols]
      for (int64_t r = 0; r < s.rows; ++r)
        for (int64_t k = 0; k < s.cols; ++k) dst[r * s.cols + k] = tmp[k * s.rows + r];
    } else {
      std::copy(tmp.begin(), tmp.end(), dst);
    }
  }
  return Status::Ok();
}

std::vector<std::pair<std::string, Tensor>> ToHfTensors(const Transformer& model,
                                                       const float* base) {
  const ModelConfig& c = model.config();
  const std::vector<HfTensor> hf = FindFamily(c.family)->tensors(c);
  StatusOr<std::vector<Slice>> slices = Slices(model, hf);
  CHECK_OK(slices.status());
  std::vector<std::pair<std::string, Tensor>> out;
  for (const Slice& s : *slices) {
    const float* src = base + s.param->offset + s.hf->row_begin * s.cols;
    Tensor t = Tensor::F32(s.hf_shape);
    float* dst = t.f32();
    if (s.hf->transposed) {
      for (int64_t r = 0; r < s.rows; ++r)
        for (int64_t k = 0; k < s.cols; ++k) dst[k * s.rows + r] = src[r * s.cols + k];
    } else {
      std::copy(src, src + s.rows * s.cols, dst);
    }
    out.emplace_back(s.hf->hf_name, std::move(t));
  }
  return out;
}

Status SaveWeights(const Transformer& model, const std::string& path, DType dtype) {
  std::vector<std::pair<std::string, Tensor>> named = ToHfTensors(model, model.params().data());
  std::vector<SafetensorsTensor> tensors;
  for (const auto& [name, t] : named) tensors.push_back(SafetensorsTensor{name, t.view(), dtype});
  return WriteSafetensors(path, tensors, {{"format", "pt"}});
}

Status SaveModelDir(const Transformer& model, const std::string& dir, DType dtype) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return IoError("cannot create directory {}: {}", dir, ec.message());
  RETURN_IF_ERROR(WriteFileAtomic(dir + "/config.json",
                                  ModelConfigToJson(model.config()).dump(2) + "\n"));
  return SaveWeights(model, dir + "/model.safetensors", dtype);
}

StatusOr<std::unique_ptr<Transformer>> LoadModelDir(const std::string& dir) {
  ASSIGN_OR_RETURN(ModelConfig config, LoadModelConfig(dir + "/config.json"));
  ASSIGN_OR_RETURN(std::unique_ptr<Transformer> model, Transformer::Create(config));
  ASSIGN_OR_RETURN(SafetensorsFile file, SafetensorsFile::Open(dir + "/model.safetensors"));
  RETURN_IF_ERROR(LoadWeights(file, model.get()));
  return model;
}

}  // namespace seek
