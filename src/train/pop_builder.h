#ifndef RECD_TRAIN_POP_BUILDER_H_
#define RECD_TRAIN_POP_BUILDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "models/pop_scorer.h"
#include "recd/dataset.h"

namespace recd {

struct PopBuilderOptions {
  // What "age" of an event means for the decay.
  enum class Clock {
    // Newest training timestamp minus the event's timestamp (seconds).
    kTimestamp,
    // Events after it in the same user's history: for datasets whose
    // timestamps are only positions (the Amazon format) and so say nothing
    // about global time.
    kPositionFromEnd,
  };
  // An event of age `a` counts 0.5^(a / half_life). 0 = no decay (plain
  // counts, the right choice for the Amazon benchmarks).
  double half_life = 0.0;
  Clock clock = Clock::kTimestamp;
  // Count only each user's last N events; 0 = all.
  int32_t last_n_per_user = 0;
  // Each event also counts its type's weight (purchase > cart > view).
  EventWeights event_weights;
};

// Sums decayed, type-weighted events per item. Errors if the data has
// out-of-range items or the options are negative.
absl::StatusOr<std::unique_ptr<PopScorer>> BuildPop(const Dataset& train_view,
                                                   const PopBuilderOptions& options);

}  // namespace recd

#endif  // RECD_TRAIN_POP_BUILDER_H_
