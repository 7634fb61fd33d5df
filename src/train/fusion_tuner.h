#ifndef RECD_TRAIN_FUSION_TUNER_H_
#define RECD_TRAIN_FUSION_TUNER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/fusion_config.h"
#include "recd/leave_one_out.h"
#include "recd/model_bundle.h"

namespace recd {

struct FusionTunerOptions {
  // Validation users scored for tuning (first N with a target); caps memory at
  // about users x items x models x 4 bytes. 0 = all.
  int64_t max_users = 5000;
  // Normalisations tried; the best on validation NDCG@10 wins.
  std::vector<Normalization> normalizations = {Normalization::kZScore, Normalization::kMinMax,
                                               Normalization::kRank};
  // Coordinate-ascent passes over the models and the weights tried per model.
  int rounds = 3;
  std::vector<double> grid = {0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.4, 2, 3, 5};
  std::string version = "tuned";
};

// Searches fusion weights that maximise NDCG@10 on the validation targets.
struct FusionTuningResult {
  FusionConfig config;
  double valid_ndcg10 = 0;
  double valid_hr10 = 0;
};

// Scores every validation user with every model of `bundle` once, then runs a
// coordinate search over per-model weights for each normalisation. Uses only
// split.train histories and split.valid targets.
absl::StatusOr<FusionTuningResult> TuneFusion(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                              const FusionTunerOptions& options);

}  // namespace recd

#endif  // RECD_TRAIN_FUSION_TUNER_H_
