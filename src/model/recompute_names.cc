// The activation-checkpointing modes by name (model/recompute.h); its own
// file so that config parsers link without the model.
#include "model/recompute.h"

namespace seek {

const char* RecomputeName(Recompute mode) {
  switch (mode) {
    case Recompute::kNone: return "none";
    case Recompute::kSelective: return "selective";
    case Recompute::kFull: return "full";
  }
  return "?";
}

StatusOr<Recompute> ParseRecompute(std::string_view name) {
  for (Recompute m : {Recompute::kNone, Recompute::kSelective, Recompute::kFull})
    if (name == RecomputeName(m)) return m;
  return InvalidArgumentError("activation checkpointing '{}' must be \"none\", \"selective\" or "
                              "\"full\"",
                              name);
}

}  // namespace seek
