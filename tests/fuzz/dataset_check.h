#ifndef RECD_TESTS_FUZZ_DATASET_CHECK_H_
#define RECD_TESTS_FUZZ_DATASET_CHECK_H_

// What every loader promises about a Dataset it returns: one history per
// user, one ItemInfo per item, events naming known items, and (when
// `sorted`) histories in time order. A broken promise traps, so the fuzzer
// reports it as a crash.

#include "fuzz_util.h"
#include "recd/data_loaders.h"
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

// Loads `data` as a catalog file named `file_name` (its extension picks
// the format), lenient then strict, into a dataset that already holds items
// from an event log, as recd-train loads them; an accepted load must leave
// a consistent dataset.
inline void FuzzCatalogFile(const char* file_name, const uint8_t* data, size_t size) {
  const std::string path = WriteTempFile(file_name, AsView(data, size));
  for (const bool strict : {false, true}) {
    Dataset dataset;
    for (const char* item : {"i1", "i2", "42"}) dataset.items.GetOrAdd(item);
    dataset.item_info.resize(dataset.items.size());
    LoadReport report;
    if (LoadCatalog(path, &dataset, &report, LoadOptions{.strict = strict}).ok()) CheckDataset(dataset, /*sorted=*/true);
    (void)report.Summary();
  }
}

}  // namespace recd::fuzz

#endif  // RECD_TESTS_FUZZ_DATASET_CHECK_H_
