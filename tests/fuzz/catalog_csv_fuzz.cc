// Fuzzes the .csv catalog loader (LoadCatalog), lenient then strict
// (FuzzCatalogFile).

#include <cstdint>

#include "dataset_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  recd::fuzz::FuzzCatalogFile("catalog.csv", data, size);
  return 0;
}
