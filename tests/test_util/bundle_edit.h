#ifndef RECD_TESTS_TEST_UTIL_BUNDLE_EDIT_H_
#define RECD_TESTS_TEST_UTIL_BUNDLE_EDIT_H_

// Helpers that damage a copy of a bundle the way real exports go wrong, for
// tests of the loaders' checks.

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "recd/model_dir.h"

namespace recd {

// The checked-in demo bundle root and its one version.
inline std::filesystem::path DemoBundleRoot() {
  return std::filesystem::path(RECD_SOURCE_DIR) / "models" / "demo";
}
inline std::filesystem::path DemoBundleVersion() { return DemoBundleRoot() / "1"; }

inline std::string ModelTypeOf(const std::filesystem::path& model_dir) {
  std::ifstream in(model_dir / ModelDir::kManifestFile);
  const nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  return doc.is_object() && doc.contains("model_type") ? doc["model_type"].get<std::string>() : "";
}

// Rewrites model_dir's tensors with element 0 of `tensor` set to NaN and the
// manifest's checksums recomputed, so the only defect is the NaN: what a
// trainer that diverged would export.
inline absl::Status WriteNanIntoTensor(const std::filesystem::path& model_dir,
                                       const std::string& tensor) {
  std::vector<float> values;
  SafetensorsWriter writer;
  ModelManifest manifest;
  {
    auto model = ModelDir::Open(model_dir.string(), ModelTypeOf(model_dir));
    if (!model.ok()) return model.status();
    manifest = (*model)->manifest();
    const SafetensorsFile& file = (*model)->tensors();
    bool found = false;
    for (const std::string& name : file.names()) {
      const TensorView view = *file.Get(name);
      if (name == tensor && view.dtype == DType::kF32 && view.nbytes > 0) {
        values.assign(view.f32().begin(), view.f32().end());
        values[0] = std::numeric_limits<float>::quiet_NaN();
        writer.AddF32(name, view.shape, values);
        found = true;
      } else {
        writer.Add(name, view.dtype, view.shape, view.data);
      }
    }
    if (!found)
      return absl::NotFoundError(
          absl::StrCat(model_dir.string(), ": no non-empty F32 tensor ", tensor));
  }
  return ModelDir::Write(model_dir.string(), manifest, writer);
}

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_BUNDLE_EDIT_H_
