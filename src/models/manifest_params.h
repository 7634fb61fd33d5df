#ifndef RECD_MODELS_MANIFEST_PARAMS_H_
#define RECD_MODELS_MANIFEST_PARAMS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "recd/dataset.h"
#include "recd/model_dir.h"

namespace recd {

// Scoring settings travel in the manifest: floats in `params` (printed with
// 9 significant digits, so they read back bit-identical), integers in `dims`.
// Getters fail with the model directory and key when a value is missing or
// does not parse.
void SetFloatParam(const std::string& key, float value, ModelManifest* manifest);
absl::StatusOr<float> GetFloatParam(const ModelDir& model, const std::string& key);
absl::StatusOr<int64_t> GetDim(const ModelDir& model, const std::string& key);

// EventWeights as params "event_weight_view", "_cart", "_purchase".
void SetEventWeightParams(const EventWeights& weights, ModelManifest* manifest);
absl::StatusOr<EventWeights> GetEventWeightParams(const ModelDir& model);

}  // namespace recd

#endif  // RECD_MODELS_MANIFEST_PARAMS_H_
