#include "model/config.h"

#include "core/check.h"
#include "io/file_util.h"
#include "model/family.h"
#include "model/json_fields.h"

namespace seek {
namespace {

Status Positive(const std::string& source, const char* field, int64_t v, int64_t max) {
  if (v <= 0 || v > max)
    return InvalidArgumentError("{}: field '{}' = {} must be in [1, {}]", source, field, v, max);
  return Status::Ok();
}

}  // namespace

Status ModelConfig::Validate(const std::string& source) const {
  RETURN_IF_ERROR(Positive(source, "vocab_size", vocab_size, int64_t{1} << 30));
  RETURN_IF_ERROR(Positive(source, "hidden size", hidden, int64_t{1} << 17));
  RETURN_IF_ERROR(Positive(source, "number of layers", n_layer, 1 << 12));
  RETURN_IF_ERROR(Positive(source, "number of attention heads", n_head, 1 << 12));
  RETURN_IF_ERROR(Positive(source, "num_key_value_heads", n_kv_head, 1 << 12));
  RETURN_IF_ERROR(Positive(source, "intermediate size", intermediate, int64_t{1} << 20));
  RETURN_IF_ERROR(Positive(source, "max positions", max_positions, int64_t{1} << 24));
  if (hidden % n_head != 0)
    return InvalidArgumentError("{}: {} attention heads do not divide the hidden size {}", source,
                                n_head, hidden);
  if (n_head % n_kv_head != 0)
    return InvalidArgumentError(
        "{}: num_key_value_heads = {} must divide the number of attention heads {}", source,
        n_kv_head, n_head);
  if (!(norm_eps > 0) || norm_eps > 1)
    return InvalidArgumentError("{}: norm epsilon = {} must be in (0, 1]", source, norm_eps);
  if (arch.position == PositionKind::kRope) {
    if (!(rope_theta > 1))
      return InvalidArgumentError("{}: rope_theta = {} must be > 1", source, rope_theta);
    if (head_dim() % 2 != 0)
      return InvalidArgumentError("{}: RoPE needs an even head dimension, got {}", source,
                                  head_dim());
  }
  if (!(init_std > 0) || init_std > 10)
    return InvalidArgumentError("{}: initializer_range = {} must be in (0, 10]", source, init_std);
  // Parameter count must stay addressable (2^38 floats = 1 TiB): a typo like
  // hidden 4096000 is an error, not an allocation failure.
  double params = static_cast<double>(vocab_size) * hidden * 2 +
                  static_cast<double>(n_layer) * (4.0 * hidden * hidden + 3.0 * hidden * intermediate);
  if (params > 2.7e11)
    return InvalidArgumentError("{}: the configuration has ~{:.3g} parameters, more than Seek can "
                                "address; check the sizes",
                                source, params);
  return Status::Ok();
}

StatusOr<ModelConfig> ParseModelConfig(const std::string& json_text, const std::string& source) {
  nlohmann::json j = nlohmann::json::parse(json_text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded())
    return InvalidArgumentError("{}: not valid JSON (check for trailing commas or truncation)",
                                source);
  if (!j.is_object()) return InvalidArgumentError("{}: must be a JSON object", source);
  JsonFields f(j, source);
  ModelConfig c;
  std::string model_type;
  RETURN_IF_ERROR(f.String("model_type", &model_type));
  const Family* family = FindFamily(model_type);
  if (family == nullptr)
    return UnimplementedError("{}: model_type '{}' is not supported; Seek knows: {}", source,
                              model_type, KnownFamilies());
  c.family = family->model_type;
  f.Consume("architectures");
  RETURN_IF_ERROR(f.Double("initializer_range", &c.init_std, 0.02));
  RETURN_IF_ERROR(family->parse(&f, &c));
  RETURN_IF_ERROR(c.Validate(source));
  c.extra = f.Unused();
  return c;
}

StatusOr<ModelConfig> LoadModelConfig(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFileToString(path));
  return ParseModelConfig(text, path);
}

nlohmann::json ModelConfigToJson(const ModelConfig& c) {
  const Family* family = FindFamily(c.family);
  CHECK(family != nullptr);
  nlohmann::json j = c.extra;
  j["model_type"] = family->model_type;
  j["architectures"] = nlohmann::json::array({family->architecture});
  j["initializer_range"] = c.init_std;
  family->write(c, &j);
  return j;
}

}  // namespace seek
