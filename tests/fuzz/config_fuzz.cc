// tests/fuzz/config_fuzz.cc — libFuzzer target for the JSON configs users write:
// a model's config.json and the training config of `seek train`.
//
// Any bytes must give either a valid config or a Status naming the source;
// a valid model config must survive a round trip through its HF JSON.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/check.h"
#include "model/config.h"
#include "train/train_config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  seek::StatusOr<seek::ModelConfig> m = seek::ParseModelConfig(text, "fuzz");
  if (m.ok()) {
    seek::StatusOr<seek::ModelConfig> again =
        seek::ParseModelConfig(seek::ModelConfigToJson(*m).dump(), "fuzz round trip");
    CHECK_OK(again.status());
    CHECK(seek::ModelConfigToJson(*again) == seek::ModelConfigToJson(*m));
  } else {
    CHECK(m.status().message().find("fuzz") != std::string::npos);
  }
  seek::StatusOr<seek::TrainConfig> t = seek::ParseTrainConfig(text, "fuzz", "/base");
  if (t.ok()) {
    (void)seek::ResolveModel(&*t, 257);  // must not crash whatever the model section holds
  } else {
    CHECK(t.status().message().find("fuzz") != std::string::npos);
  }
  return 0;
}
