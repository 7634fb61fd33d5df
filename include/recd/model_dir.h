#ifndef RECD_MODEL_DIR_H_
#define RECD_MODEL_DIR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "recd/content_hash.h"
#include "recd/safetensors.h"

namespace recd {

inline constexpr int kModelFormatVersion = 1;

// manifest.json of a model directory: what the model is, how it was made and
// how good it was, plus a checksum per tensor. A value type.
struct ModelManifest {
  std::string model_type;  // "mf", "lstm", "content", ...
  int format_version = kModelFormatVersion;
  std::map<std::string, int64_t> dims;  // e.g. {"factors": 64}
  int64_t num_items = 0;
  std::string data_hash;                                // hash of the training data
  std::string created_at;                               // ISO-8601 UTC
  std::map<std::string, double> metrics;                // validation metrics, e.g. "NDCG@10"
  std::map<std::string, std::string> params;            // hyperparameters, free form
  std::map<std::string, std::string> tensor_checksums;  // name -> xxh64 hex (filled by Write)
};

// A model on disk: <dir>/manifest.json + <dir>/model.safetensors (the
// layout is in docs/model_format.md). Items are dense ids; the id mapping
// lives beside the model directories in the bundle (items.txt), and its hash
// is ModelManifest::data_hash's sibling param "items_hash".
// Thread-safe: immutable after Open(); tensor views live as long as it does.
class ModelDir {
 public:
  static constexpr char kManifestFile[] = "manifest.json";
  static constexpr char kTensorFile[] = "model.safetensors";

  // Writes the tensors and a manifest with their checksums, creating `dir`.
  // Fills manifest.tensor_checksums (replacing what was there) from the file
  // as written, and created_at (ISO-8601 UTC) if it is empty. Each file is
  // replaced atomically, tensors first, then the manifest.
  static absl::Status Write(const std::string& dir, ModelManifest manifest,
                            const SafetensorsWriter& tensors);

  // Reads the model and checks it: manifest parses, type == expected_type,
  // format version known, every tensor in the manifest present with its
  // dtype, shape and checksum, no extra tensors, every F32 value finite.
  // Errors name the file and tensor: NotFoundError for a missing file,
  // InvalidArgumentError for another model type or a NaN/Inf value, FailedPreconditionError for a newer format version,
  // DataLossError for a malformed manifest or tensors that do not match it.
  static absl::StatusOr<std::unique_ptr<ModelDir>> Open(const std::string& dir,
                                                        const std::string& expected_type);

  const ModelManifest& manifest() const { return manifest_; }
  const SafetensorsFile& tensors() const { return *file_; }
  const std::string& dir() const { return dir_; }

 private:
  ModelDir() = default;
  std::string dir_;
  ModelManifest manifest_;
  std::unique_ptr<SafetensorsFile> file_;
};

}  // namespace recd

#endif  // RECD_MODEL_DIR_H_
