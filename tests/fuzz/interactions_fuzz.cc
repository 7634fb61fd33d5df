// Fuzzes the interaction log loader (LoadInteractions: CSV header, quoting,
// event names, integer and ISO-8601 timestamps), lenient then strict. A
// load that succeeds must leave a consistent, time-ordered dataset.

#include <cstdint>

#include "dataset_check.h"
#include "fuzz_util.h"
#include "recd/data_loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path =
      recd::fuzz::WriteTempFile("events.csv", recd::fuzz::AsView(data, size));
  for (const bool strict : {false, true}) {
    recd::LoadReport report;
    auto loaded = recd::LoadInteractions(path, recd::LoadOptions{.strict = strict}, &report);
    (void)report.Summary();
    if (loaded.ok()) recd::fuzz::CheckDataset(*loaded, /*sorted=*/true);
  }
  return 0;
}
