#include "retrieval/ann_index_meta.h"

#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string_view>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "models/atomic_file.h"
#include "nlohmann/json.hpp"
#include "util/status_macros.h"

namespace recd {
namespace {

using Json = nlohmann::json;

// Reads fields of one ann.json, each error naming the file and field.
class MetaReader {
 public:
  MetaReader(const std::string& path, const Json& root) : path_(path), root_(root) {}

  template <typename T>
  absl::Status Int(const char* key, int64_t min, T* out) const {
    const auto it = root_.find(key);
    if (it == root_.end() || !it->is_number_integer())
      return Error(key, "is missing or not an integer");
    const int64_t v = it->get<int64_t>();
    if (v < min || v > static_cast<int64_t>(std::numeric_limits<T>::max())) {
      return Error(key, absl::StrCat("is ", v, ", out of range"));
    }
    *out = static_cast<T>(v);
    return absl::OkStatus();
  }

  absl::Status Bool(const char* key, bool* out) const {
    const auto it = root_.find(key);
    if (it == root_.end() || !it->is_boolean()) return Error(key, "is missing or not a boolean");
    *out = it->get<bool>();
    return absl::OkStatus();
  }

  absl::Status String(const char* key, std::string* out) const {
    const auto it = root_.find(key);
    if (it == root_.end() || !it->is_string()) return Error(key, "is missing or not a string");
    *out = it->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status Error(const char* key, const std::string& what) const {
    return absl::DataLossError(absl::StrCat(path_, ": field '", key, "' ", what));
  }

 private:
  const std::string& path_;
  const Json& root_;
};

}  // namespace

absl::Status WriteAnnIndexMeta(const std::string& path, const AnnIndexMeta& meta) {
  nlohmann::ordered_json j;
  j["format_version"] = meta.format_version;
  j["items"] = meta.items;
  j["dim"] = meta.dim;
  j["has_bias"] = meta.has_bias;
  j["equalize_norms"] = meta.equalize_norms;
  j["m"] = meta.m;
  j["ef_construction"] = meta.ef_construction;
  // JSON numbers lose integers above 2^53 in other readers: a string.
  j["seed"] = std::to_string(meta.seed);
  j["items_checksum"] = meta.items_checksum;
  j["bias_checksum"] = meta.bias_checksum;
  j["graph_bytes"] = meta.graph_bytes;
  j["graph_checksum"] = meta.graph_checksum;
  const std::string text = j.dump(2) + "\n";
  const std::string_view parts[] = {text};
  return WriteFileAtomically(path, parts);
}

absl::StatusOr<AnnIndexMeta> ReadAnnIndexMeta(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec))
    return absl::NotFoundError(absl::StrCat(path, ": no such file"));
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  if (!in) return absl::DataLossError(absl::StrCat(path, ": cannot read"));
  const Json root = Json::parse(text.str(), nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) return absl::DataLossError(absl::StrCat(path, ": not a JSON object"));
  const MetaReader r(path, root);
  AnnIndexMeta m;
  RECD_RETURN_IF_ERROR(r.Int("format_version", 1, &m.format_version));
  if (m.format_version > kAnnIndexFormatVersion) {
    return absl::FailedPreconditionError(absl::StrCat(path, ": format_version ", m.format_version,
                                                      " is newer than this reader's ",
                                                      kAnnIndexFormatVersion));
  }
  RECD_RETURN_IF_ERROR(r.Int("items", 1, &m.items));
  RECD_RETURN_IF_ERROR(r.Int("dim", 1, &m.dim));
  RECD_RETURN_IF_ERROR(r.Bool("has_bias", &m.has_bias));
  RECD_RETURN_IF_ERROR(r.Bool("equalize_norms", &m.equalize_norms));
  RECD_RETURN_IF_ERROR(r.Int("m", 2, &m.m));
  RECD_RETURN_IF_ERROR(r.Int("ef_construction", 1, &m.ef_construction));
  std::string seed;
  RECD_RETURN_IF_ERROR(r.String("seed", &seed));
  try {
    size_t used = 0;
    m.seed = std::stoull(seed, &used);
    if (used != seed.size()) return r.Error("seed", "is not an unsigned integer");
  } catch (const std::exception&) {
    return r.Error("seed", "is not an unsigned integer");
  }
  RECD_RETURN_IF_ERROR(r.String("items_checksum", &m.items_checksum));
  RECD_RETURN_IF_ERROR(r.String("bias_checksum", &m.bias_checksum));
  RECD_RETURN_IF_ERROR(r.Int("graph_bytes", 1, &m.graph_bytes));
  RECD_RETURN_IF_ERROR(r.String("graph_checksum", &m.graph_checksum));
  return m;
}

}  // namespace recd
