// Fuzzes the Amazon benchmark loader (LoadAmazonSequences): the sequence
// file and the item -> attributes JSON. An input holds both files:
//   <Name.txt bytes>\n--- item2attributes.json ---\n<JSON bytes>
// without the separator there is no attributes file. A load that succeeds
// must leave a consistent dataset.

#include <cstdint>

#include "dataset_check.h"
#include "fuzz_util.h"
#include "recd/data_loaders.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = recd::fuzz::AsView(data, size);
  const auto [sequences, attributes] =
      recd::fuzz::SplitInput(input, "\n--- item2attributes.json ---\n");
  const std::string seq_path = recd::fuzz::WriteTempFile("Beauty.txt", sequences);
  std::string attr_path;
  if (sequences.size() != input.size()) {
    attr_path = recd::fuzz::WriteTempFile("Beauty_item2attributes.json", attributes);
  }
  recd::LoadReport report;
  auto loaded = recd::LoadAmazonSequences(seq_path, attr_path, &report);
  (void)report.Summary();
  if (loaded.ok()) recd::fuzz::CheckDataset(*loaded, /*sorted=*/true);
  return 0;
}
