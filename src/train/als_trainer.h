#ifndef RECD_TRAIN_ALS_TRAINER_H_
#define RECD_TRAIN_ALS_TRAINER_H_

#include <cstdint>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "models/implicit_solve.h"
#include "models/mf_scorer.h"
#include "recd/dataset.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"

namespace recd {

enum class AlsSolver {
  kConjugateGradient,  // a few warm-started CG steps per row: fast, near-exact
  kCholesky,           // exact per-row solve: O(F^3) per row
};

// Hyperparameters of implicit ALS. Defaults are the values tuned on the
// Amazon Beauty validation targets (validation HR@10 0.092, NDCG@10 0.052;
// rerun with RECD_FULL_TRAINING=1 and AlsTrainerTest.BeautyBeatsPopularity).
struct AlsOptions {
  // Width F of the user and item factors. On Beauty 64 -> 128 added 0.006
  // validation NDCG@10; 128 -> 256 only 0.001 (with the tuned decay) for
  // 1.7x the training time and twice the scoring cost.
  int factors = 128;
  // L2 penalty on every user and item factor.
  float regularization = 10.0f;
  // Confidence scale: c_ui = 1 + alpha * (sum of event weights of u on i).
  float alpha = 10.0f;
  // Recency discount of event weights, see MfFoldIn::recency_decay. The
  // largest single gain on Beauty (validation NDCG@10 0.041 -> 0.052).
  float recency_decay = 0.5f;
  // Full sweeps (users, then items).
  int iterations = 10;
  AlsSolver solver = AlsSolver::kConjugateGradient;
  // CG steps per row and sweep when solver == kConjugateGradient.
  int cg_steps = 3;
  // Weight of each event type in the confidence sum.
  EventWeights event_weights;
  // Seed of the item-factor initialisation; equal seeds give equal models.
  uint64_t seed = 42;
  // Standard deviation of the initial item factors is init_scale / sqrt(F).
  float init_scale = 0.1f;
  // OpenMP threads; 0 uses the OpenMP default.
  int threads = 0;
  // With a validation split: evaluate every this many iterations and after
  // the last (0 = never). A full Beauty evaluation costs about a sweep's
  // worth of time at F=128, so not every iteration by default.
  int validate_every = 5;
  // With a validation split: evaluate only the first this many users (0 = all).
  int64_t validation_max_users = 0;
  // With a validation split: stop after this many evaluations without a
  // better validation NDCG@10 (0 = run all iterations). The best factors are
  // kept either way.
  int early_stopping_patience = 0;

  MfFoldIn fold_in() const { return {alpha, regularization, event_weights, recency_decay}; }
};

// What one iteration did.
struct AlsIterationStats {
  int iteration = 0;  // 1-based
  double loss = 0;    // weighted squared error + penalty, divided by the number of observed cells
  double seconds = 0; // wall time of the sweep
  std::optional<RankingMetrics> validation;
};

// A trained model. user_factors are recomputed against the final
// item_factors, so they equal a fold-in of each user's training history
// (exactly with kCholesky, to CG accuracy otherwise).
struct AlsModel {
  RowMatrixXf user_factors;  // [num_users x F]
  RowMatrixXf item_factors;  // [num_items x F]
  MfFoldIn fold_in;
  std::vector<AlsIterationStats> iterations;
  int best_iteration = 0;    // the iteration whose item factors were kept
};

// Trains implicit ALS (Hu, Koren, Volinsky 2008) on train_view's histories:
// alternating exact-objective solves for all users, then all items, each
// row in parallel. Logs loss (and validation metrics) per iteration.
// If `validation` is given (the split train_view came from), the item factors
// of the iteration with the best validation NDCG@10 are returned.
// Errors: bad options, an empty dataset, or items outside [0, num_items).
absl::StatusOr<AlsModel> TrainAls(const Dataset& train_view, const AlsOptions& options,
                                  const LeaveOneOutSplit* validation = nullptr);

}  // namespace recd

#endif  // RECD_TRAIN_ALS_TRAINER_H_
