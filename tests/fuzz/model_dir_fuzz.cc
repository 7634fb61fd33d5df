// Fuzzes ModelDir::Open (manifest.json parsing and its checks against the
// tensors: dtypes, shapes, checksums, finite values) and the manifest param
// getters the scorers call at load. An input holds both files:
//   <manifest.json bytes>\n--- model.safetensors ---\n<safetensors bytes>
// The expected model type is "pop", as in the seeds.

#include <cstdint>
#include <filesystem>

#include "fuzz_util.h"
#include "models/manifest_params.h"
#include "recd/model_dir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto [manifest, tensors] = recd::fuzz::SplitInput(recd::fuzz::AsView(data, size),
                                                          "\n--- model.safetensors ---\n");
  static const std::string dir = [] {
    const std::string d = recd::fuzz::TempDir() + "/pop";
    std::filesystem::create_directories(d);
    return d;
  }();
  recd::fuzz::WriteTempFile("pop/manifest.json", manifest);
  recd::fuzz::WriteTempFile("pop/model.safetensors", tensors);
  auto model = recd::ModelDir::Open(dir, "pop");
  if (!model.ok()) return 0;
  (void)recd::GetEventWeightParams(**model);
  (void)recd::GetFloatParam(**model, "alpha");
  (void)recd::GetDim(**model, "factors");
  return 0;
}
