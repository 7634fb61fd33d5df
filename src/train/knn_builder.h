#ifndef RECD_TRAIN_KNN_BUILDER_H_
#define RECD_TRAIN_KNN_BUILDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "models/knn_scorer.h"
#include "recd/dataset.h"

namespace recd {

struct KnnBuilderOptions {
  // Neighbours kept per item.
  int32_t top_k = 100;
  // sim(i, j) = co(i, j) / (norm_i^alpha * norm_j^(1 - alpha) + shrinkage),
  // norm_i = (weighted) occurrences of i. alpha = 0.5 is cosine; the
  // shrinkage pulls similarities resting on few co-occurrences toward zero.
  float alpha = 0.5f;
  float shrinkage = 50.0f;
  // Weight each user's pairs by 1 / ln(1 + history length) (inverse user
  // frequency): a user who bought 200 items says less about any one pair.
  bool inverse_user_frequency = false;
  // Only pairs at most `window` positions apart co-occur; 0 = whole history.
  int32_t window = 0;
  // A pair d positions apart weighs distance_decay^(d - 1): neighbours in
  // the sequence are related more closely than the ends of a long history.
  float distance_decay = 0.9f;
  // Weight of the pair (i, j) where j came *before* i, relative to j after
  // i (1.0 = symmetric). Below 1 makes sim(i, j) lean toward "j follows i".
  float backward_weight = 0.3f;
  KnnScoring scoring;
};

// Computes item-item similarities from co-occurrence in training histories
// (rows in parallel with OpenMP) and keeps the top_k per item. Errors if the
// data has out-of-range items or the options are out of range.
absl::StatusOr<std::unique_ptr<KnnScorer>> BuildKnn(const Dataset& train_view,
                                                   const KnnBuilderOptions& options);

}  // namespace recd

#endif  // RECD_TRAIN_KNN_BUILDER_H_
