#ifndef RECD_TRAIN_TRAIN_INPUTS_H_
#define RECD_TRAIN_TRAIN_INPUTS_H_

#include <vector>

#include "absl/status/status.h"
#include "recd/dataset.h"

namespace recd {

// Checks what every builder relies on: item_info has one row per item and
// every event's item is a valid dense id. The error names the user and
// position at fault.
absl::Status CheckTrainingData(const Dataset& data);

// Training events per item divided by the largest count, so in [0, 1]:
// the tie-breaking prior of the similarity scorers.
std::vector<float> PopularityPrior(const Dataset& data);

}  // namespace recd

#endif  // RECD_TRAIN_TRAIN_INPUTS_H_
