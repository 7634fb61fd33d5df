// Fuzzes the .csv catalog loader (LoadCatalog), lenient then strict, into
// a dataset that already holds items from an event log, as recd-train loads
// them. A load that succeeds must leave a consistent dataset.

#include <cstdint>

#include "dataset_check.h"
#include "fuzz_util.h"
#include "recd/data_loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      recd::fuzz::WriteTempFile("catalog.csv", recd::fuzz::AsView(data, size));
  for (const bool strict : {false, true}) {
    recd::Dataset dataset;
    for (const char* item : {"i1", "i2", "42"}) dataset.items.GetOrAdd(item);
    dataset.item_info.resize(dataset.items.size());
    recd::LoadReport report;
    if (recd::LoadCatalog(path, &dataset, &report, recd::LoadOptions{.strict = strict}).ok()) {
      recd::fuzz::CheckDataset(dataset, /*sorted=*/true);
    }
    (void)report.Summary();
  }
  return 0;
}
