#ifndef RECD_LEAVE_ONE_OUT_H_
#define RECD_LEAVE_ONE_OUT_H_

#include <vector>

#include "recd/dataset.h"

namespace recd {

// The published benchmarks' protocol: per user the last event is the test
// target, the second-to-last the validation target, and models train on the
// rest. Users with fewer than 3 events keep everything in train and have no
// targets (target item -1). A value type.
struct LeaveOneOutSplit {
  std::vector<std::vector<Event>> train;  // [user] -> events before the targets
  std::vector<Event> valid;               // [user] -> validation target
  std::vector<Event> test;                // [user] -> test target

  // The history a model sees when predicting the test target: train + valid.
  std::vector<Event> TestHistory(int32_t user) const;
};

LeaveOneOutSplit SplitLeaveOneOut(const Dataset& data);

// A copy of `data` whose histories are `split.train`: what trainers consume.
Dataset TrainingView(const Dataset& data, const LeaveOneOutSplit& split);

}  // namespace recd

#endif  // RECD_LEAVE_ONE_OUT_H_
