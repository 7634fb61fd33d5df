#ifndef RECD_TRAIN_MARKOV_BUILDER_H_
#define RECD_TRAIN_MARKOV_BUILDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "models/markov_scorer.h"
#include "recd/dataset.h"

namespace recd {

struct MarkovBuilderOptions {
  // Weight of a transition to the item right after (1), two after (skip-1)
  // and three after (skip-2). The skips add evidence for sparse rows at the
  // price of blurring order; weights tuned on Beauty validation.
  float adjacent_weight = 1.0f;
  float skip1_weight = 0.5f;
  float skip2_weight = 0.5f;
  // P(j | i) = count(i -> j) / (row total of i + smoothing): rows seen few
  // times are shrunk toward zero, so the popularity prior and other history
  // items count more there. 0 = maximum likelihood.
  float smoothing = 3.0f;
  // Keep only the largest entries per row; 0 = keep all.
  int32_t max_row_entries = 0;
  MarkovScoring scoring;
};

// Counts item -> later item transitions inside each training history
// (self-transitions are skipped: a repeat says nothing about what comes next)
// and row-normalises them. Errors if the data has out-of-range items or the
// options are negative.
absl::StatusOr<std::unique_ptr<MarkovScorer>> BuildMarkov(const Dataset& train_view,
                                                         const MarkovBuilderOptions& options);

}  // namespace recd

#endif  // RECD_TRAIN_MARKOV_BUILDER_H_
