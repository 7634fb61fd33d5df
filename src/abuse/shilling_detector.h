#ifndef RECD_ABUSE_SHILLING_DETECTOR_H_
#define RECD_ABUSE_SHILLING_DETECTOR_H_

#include <cstdint>
#include <vector>

#include "abuse/shilling_options.h"
#include "recd/dataset.h"

namespace recd {

// The users whose events should not shape item-side statistics, and why.
struct ShillingReport {
  std::vector<int32_t> users;           // dense user ids, ascending
  // Items a swarm was found on, ascending: the attacked item, and any item
  // the swarm's accounts visited together with few real shoppers.
  std::vector<int32_t> targeted_items;
  // Users found by each signal (one user may be found by several).
  int64_t burst_users = 0;
  int64_t hammer_users = 0;
  int64_t swarm_users = 0;
};

// Finds the users of `data` whose events look injected. Deterministic: a
// function of the events only. O(events log events).
ShillingReport DetectShilling(const Dataset& data, const ShillingOptions& options = {});

// Empties the histories of `users` in `data` (ids, names and catalog stay),
// so no trainer counts their events. Returns the events dropped.
int64_t DropUsersEvents(const std::vector<int32_t>& users, Dataset* data);

}  // namespace recd

#endif  // RECD_ABUSE_SHILLING_DETECTOR_H_
