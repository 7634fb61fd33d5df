#include "models/manifest_params.h"

#include <cmath>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace recd {

void SetFloatParam(const std::string& key, float value, ModelManifest* manifest) {
  manifest->params[key] = absl::StrFormat("%.9g", value);
}

absl::StatusOr<float> GetFloatParam(const ModelDir& model, const std::string& key) {
  const auto& params = model.manifest().params;
  const auto it = params.find(key);
  float value = 0.0f;
  if (it == params.end() || !absl::SimpleAtof(it->second, &value) || !std::isfinite(value)) {
    return absl::InvalidArgumentError(absl::StrCat(
        model.dir(), "/", ModelDir::kManifestFile, ": param '", key, "' missing or not a number"));
  }
  return value;
}

absl::StatusOr<int64_t> GetDim(const ModelDir& model, const std::string& key) {
  const auto& dims = model.manifest().dims;
  const auto it = dims.find(key);
  if (it == dims.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(model.dir(), "/", ModelDir::kManifestFile, ": dim '", key, "' missing"));
  }
  return it->second;
}

void SetEventWeightParams(const EventWeights& weights, ModelManifest* manifest) {
  SetFloatParam("event_weight_view", weights.view, manifest);
  SetFloatParam("event_weight_cart", weights.cart, manifest);
  SetFloatParam("event_weight_purchase", weights.purchase, manifest);
}

absl::StatusOr<EventWeights> GetEventWeightParams(const ModelDir& model) {
  EventWeights w;
  for (auto [key, field] : {std::pair{"event_weight_view", &w.view},
                            std::pair{"event_weight_cart", &w.cart},
                            std::pair{"event_weight_purchase", &w.purchase}}) {
    auto v = GetFloatParam(model, key);
    if (!v.ok()) return v.status();
    *field = *v;
  }
  return w;
}

}  // namespace recd
