#ifndef RECD_TESTS_FUZZ_DATASET_CHECK_H_
#define RECD_TESTS_FUZZ_DATASET_CHECK_H_

// What every loader promises about a Dataset it returns: one history per
// user, one ItemInfo per item, events naming known items, and (when
// `sorted`) histories in time order. A broken promise traps, so the fuzzer
// reports it as a crash.

#include "recd/dataset.h"

namespace recd::fuzz {

inline void CheckDataset(const Dataset& data, bool sorted) {
  if (data.histories.size() > static_cast<size_t>(data.users.size())) __builtin_trap();
  if (data.item_info.size() != static_cast<size_t>(data.items.size())) __builtin_trap();
  for (const auto& history : data.histories) {
    for (size_t i = 0; i < history.size(); ++i) {
      if (history[i].item < 0 || history[i].item >= data.items.size()) __builtin_trap();
      if (sorted && i > 0 && history[i].timestamp < history[i - 1].timestamp) __builtin_trap();
    }
  }
}

}  // namespace recd::fuzz

#endif  // RECD_TESTS_FUZZ_DATASET_CHECK_H_
