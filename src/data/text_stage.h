// data/text_stage.h — the text stages of the data pipeline behind one
// interface: normalize, pii, gopher_quality, gopher_repetition, c4 and
// fineweb. A stage looks at one Document, may rewrite its text (normalize,
// pii, c4's line removal) and keeps or drops it with a stable reason.
//
// Thread-safety: a stage is immutable once built; Apply may run on many
// threads at once, each with its own Document.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/status.h"
#include "data/document.h"
#include "data/stage.h"

namespace seek {

// A DocumentStage of the pipeline runner (data/stage.h) with its name.
class TextStage : public DocumentStage {
 public:
  // The stage's name in pipeline files ("gopher_quality").
  virtual std::string_view name() const = 0;
};

// The names MakeTextStage knows, in a sensible pipeline order.
const std::vector<std::string>& TextStageNames();

// Builds stage `name` with its defaults changed by `overrides` (a JSON
// object, or null for the defaults). Unknown stages and keys are errors that
// name them.
StatusOr<std::unique_ptr<TextStage>> MakeTextStage(std::string_view name, const nlohmann::json& overrides);

}  // namespace seek
