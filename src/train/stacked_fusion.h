#ifndef RECD_TRAIN_STACKED_FUSION_H_
#define RECD_TRAIN_STACKED_FUSION_H_

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

namespace recd {

// The features of learned (stacked) fusion for one (user, item): each
// model's normalised score, once shared by every user and once for the
// user's history-length bucket only. A model's weight for a user is then
// shared + bucket coefficient, so the fitted model is served by the fusion
// layer as it is (one weight set per history segment) and explained the same
// way: per-model contributions still add up to the score.
struct StackingLayout {
  int models = 0;
  int buckets = 0;  // history-length buckets, the last one open-ended

  int features() const { return models * (1 + buckets); }
  int shared(int model) const { return model * (1 + buckets); }
  int in_bucket(int model, int bucket) const { return model * (1 + buckets) + 1 + bucket; }
};

// Fits a pairwise logistic regression without intercept: each row of
// `diffs` is the features of a user's target minus those of one item the
// user did not pick, `offsets` the same difference under a fixed base blend
// (the tuned weighted sum), and the fit minimises
//   sum_rows log(1 + exp(-(offset + theta . row))) + l2 / 2 * |theta|^2
// by Newton's method (the features are few, the Hessian small and dense).
// The fit is a correction to the base blend: the stronger l2, the closer to
// it, so choosing l2 on held-out users cannot do much worse than the base.
// Pairwise rather than pointwise: only the order within a user's list
// matters to the ranking, not the level of one user's scores against
// another's. Deterministic: the same rows give the same bits.
// REQUIRES: l2 > 0 (the minimum is then unique and the Hessian invertible).
// REQUIRES: offsets.size() == diffs.rows().
Eigen::VectorXd FitPairwiseLogistic(const Eigen::MatrixXd& diffs, const Eigen::VectorXd& offsets, double l2,
                                    int max_iterations = 50);

// The weight of each model for users of `bucket` under the fitted
// coefficients: base + shared + bucket coefficient, negative ones clamped to 0
// (fusion weights are not negative), then scaled so the largest is 1 and
// rounded to 4 decimals (what the config file can state exactly). All zero
// when no model has a positive weight there.
std::vector<double> BucketWeights(const StackingLayout& layout, std::span<const double> base,
                                  const Eigen::VectorXd& theta, int bucket);

// The history-length bucket of a user with `history_length` events, given
// the inclusive upper bounds of every bucket but the last.
int HistoryBucket(std::span<const int64_t> upper_bounds, int64_t history_length);

}  // namespace recd

#endif  // RECD_TRAIN_STACKED_FUSION_H_
