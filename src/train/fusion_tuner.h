#ifndef RECD_TRAIN_FUSION_TUNER_H_
#define RECD_TRAIN_FUSION_TUNER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/fusion_config.h"
#include "recd/leave_one_out.h"
#include "recd/model_bundle.h"

namespace recd {

struct FusionTunerOptions {
  // Validation users scored for tuning (first N with a target); caps memory at
  // about users x items x models x 4 bytes (with nominate_depth, users x
  // models^2 x depth x 4). 0 = all.
  int64_t max_users = 5000;
  // For a catalog the daemon serves from candidates (above recd.yaml's
  // full_scan_max_items): > 0 ranks each validation user among the items
  // the weighted models nominate, each its best max(nominate_depth, 10 +
  // history) as the model nominates them (its own nominations, or an exact
  // scan where the daemon searches an HNSW index), on zscore over the whole
  // catalog: the blend tuned is the blend served, and memory does not grow
  // with the catalog. Only zscore is tried then (minmax and rank would be
  // taken over the candidates). 0 = every user ranked over the whole catalog.
  int nominate_depth = 0;
  // Normalisations tried; the best on validation NDCG@10 wins.
  std::vector<Normalization> normalizations = {Normalization::kZScore, Normalization::kMinMax,
                                               Normalization::kRank};
  // Coordinate-ascent passes over the models and the weights tried per model.
  int rounds = 3;
  std::vector<double> grid = {0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 1, 1.4, 2, 3, 5};
  std::string version = "tuned";

  // Stacked fusion: a pairwise logistic regression over the normalised model
  // scores and the user's history length, fitted on the validation targets
  // as a correction to the tuned weighted sum (train/stacked_fusion.h). Kept
  // instead of the weighted sum only when its NDCG@10 beats the weighted
  // sum's, both cross-fitted on two halves of the validation users (each
  // half ranked with what was fitted on the other).
  bool stacking = true;
  // Fewer validation users than this and stacking is not tried: with two
  // halves of under 1,000 users, NDCG@10's standard error is several times
  // the gain stacking must show, so the comparison could not tell.
  int64_t stacking_min_users = 2000;
  // How much better (relative NDCG@10) stacking must do to be kept: a gain
  // within the noise of two halves would swap a config for nothing.
  double stacking_min_gain = 0.01;
  // Inclusive upper bounds of the history-length buckets (events); users
  // past the last bound form one more bucket. Written as fusion segments.
  std::vector<int64_t> history_buckets = {2, 4, 8, 16};
  // L2 strengths tried, per training pair; the best cross-fitted one wins.
  // The strongest keeps the fit close to the weighted sum.
  std::vector<double> l2_grid = {1e-2, 1e-1, 1, 10, 100};
  // The items each validation target is contrasted with: the best-ranked
  // non-targets under the tuned weighted sum (the mistakes that cost NDCG)
  // and items drawn uniformly. No uniform ones by default: on the Beauty
  // test data they pulled the fit towards separating the target from the
  // tail of the catalog, which NDCG@10 does not reward (cross-fitted NDCG@10
  // 0.0508 with 20 + 20 against 0.0740 with 40 + 0).
  int hard_negatives = 40;
  int random_negatives = 0;
  uint64_t seed = 1;
  // Also tune the "similar" profile SimilarItems ranks with (TuneFusion's
  // similar). Off by default: a profile tuned on these targets may leave
  // content out (on the daemon tests' small shop it kept one model), and
  // then SimilarItems finds a new catalog item without events by nothing.
  bool similar_profile = false;
  // How much better (relative NDCG@10, in sample) the tuned profile must do
  // than the next-item weights to be kept: on Amazon Beauty a 0.8% gain on
  // validation was a 1.9% loss on the test targets.
  double similar_min_gain = 0.01;
};

// What stacking measured, whether or not it was kept.
struct StackingReport {
  double l2 = 0;
  // Each half of the validation users ranked with coefficients fitted on the
  // other half: an estimate of the stacked fusion's NDCG@10 on new users.
  double cross_fitted_ndcg10 = 0;
  double cross_fitted_hr10 = 0;
  // The weighted sum's, its weights searched on one half and scored on the
  // other in the same way.
  double weighted_cross_fitted_ndcg10 = 0;
  double weighted_cross_fitted_hr10 = 0;
  bool kept = false;
};

// The "similar" profile: the validation targets ranked from each user's
// last training item alone, as SimilarItems ranks an item's neighbours.
struct SimilarProfileReport {
  int64_t users = 0;
  std::map<std::string, double> weights;  // tuned; empty when no user had a training item
  double ndcg10 = 0;
  double hr10 = 0;
  // The same users ranked with the next-item weights for one event: what
  // SimilarItems ranks with when the config names no profile.
  double next_item_ndcg10 = 0;
  double next_item_hr10 = 0;
  // Whether the tuned weights beat those by options.similar_min_gain and
  // were written as the profile.
  bool kept = false;
};

// Searches fusion weights that maximise NDCG@10 on the validation targets.
struct FusionTuningResult {
  FusionConfig config;
  // Of `config`, on the validation users it was tuned on.
  double valid_ndcg10 = 0;
  double valid_hr10 = 0;
  // The weighted sum's, also when stacking was kept.
  double weighted_ndcg10 = 0;
  std::optional<StackingReport> stacking;
  std::optional<SimilarProfileReport> similar;
};

// Scores every validation user with every model of `bundle` once, then runs a
// coordinate search over per-model weights for each normalisation; then, with
// the best normalisation, fits the stacked fusion (options.stacking); then
// tunes the "similar" profile (options.similar_profile) on that
// normalisation. Uses only split.train histories and split.valid targets.
absl::StatusOr<FusionTuningResult> TuneFusion(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                              const FusionTunerOptions& options);

}  // namespace recd

#endif  // RECD_TRAIN_FUSION_TUNER_H_
