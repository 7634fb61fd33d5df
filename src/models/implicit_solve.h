#ifndef RECD_MODELS_IMPLICIT_SOLVE_H_
#define RECD_MODELS_IMPLICIT_SOLVE_H_

// The per-row least-squares solve of implicit-feedback matrix factorisation
// (Hu, Koren, Volinsky 2008), shared by the ALS trainer and MfScorer's
// fold-in so that a folded-in user gets exactly the factor training would
// have given it.
//
// For one row (a user, or an item in the transposed problem) with observed
// columns j and confidences c_j, the factor x minimises
//   sum_j c_j (1 - x.y_j)^2 + sum_{k unobserved} (x.y_k)^2 + reg |x|^2,
// i.e. solves (Y^T Y + sum_j (c_j - 1) y_j y_j^T + reg I) x = sum_j c_j y_j.
// Y^T Y (the Gramian) is shared by every row, so a row costs O(n F^2 + F^3)
// (Cholesky) or O(steps (n F + F^2)) (conjugate gradient) for n observations.

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "recd/dataset.h"

namespace recd {

using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstRowMatrixMap = Eigen::Map<const RowMatrixXf>;

// One observed cell of a row: the other side's index and its confidence
// c = 1 + alpha * (sum of event weights). c >= 1.
struct Observation {
  int32_t index = 0;
  float confidence = 1.0f;
};

// How a user's history becomes the confidences of the implicit-feedback
// objective. Training and fold-in must use the same values, so they are
// saved in the model's manifest. Defaults equal AlsOptions' defaults.
struct MfFoldIn {
  // Confidence c_ui = 1 + alpha * (sum of event weights of u on i).
  float alpha = 10.0f;
  // L2 penalty on a user factor, as in training.
  float regularization = 10.0f;
  // Weight of each event type in the confidence sum.
  EventWeights event_weights;
  // An event's weight is multiplied by recency_decay^k, k = number of events
  // after it in the history: interests drift, so recent clicks say more
  // about the next one. 1 = all events count alike.
  float recency_decay = 0.5f;
};

// Sums each item's (recency-decayed) event weights over `events` (oldest
// first) and turns them into confidences 1 + alpha * sum, sorted by item.
// Items outside [0, num_items) are dropped (an item newer than the model).
std::vector<Observation> AggregateConfidences(std::span<const Event> events,
                                              const MfFoldIn& fold_in, int32_t num_items);

// Solves the row system exactly with a Cholesky factorisation. Overwrites x.
// REQUIRES: gram is F x F, symmetric positive semi-definite; reg > 0 or the
// system is otherwise positive definite; every index < y.rows();
// x.size() == F.
void SolveRowCholesky(const Eigen::MatrixXf& gram, float reg, const ConstRowMatrixMap& y,
                      std::span<const Observation> row, Eigen::Ref<Eigen::VectorXf> x);

// Improves x (the warm start, e.g. last iteration's factor) with `steps`
// conjugate-gradient steps on the same system (Takacs, Pilaszy, Tikk 2011):
// cheaper than Cholesky and, warm-started, as accurate after 2-4 steps.
// REQUIRES: as SolveRowCholesky; steps >= 1.
void SolveRowConjugateGradient(const Eigen::MatrixXf& gram, float reg,
                               const ConstRowMatrixMap& y, std::span<const Observation> row,
                               int steps, Eigen::Ref<Eigen::VectorXf> x);

}  // namespace recd

#endif  // RECD_MODELS_IMPLICIT_SOLVE_H_
