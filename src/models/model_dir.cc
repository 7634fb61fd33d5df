#include "recd/model_dir.h"

#include <cmath>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "models/atomic_file.h"
#include "nlohmann/json.hpp"
#include "recd/safetensors.h"

namespace recd {
namespace {

using Json = nlohmann::json;

// What manifest.json says one tensor must be.
struct TensorSpec {
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  std::string checksum;
};

std::string NowIso8601Utc() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string JoinPath(const std::string& dir, const char* file) {
  return (std::filesystem::path(dir) / file).string();
}

absl::StatusOr<std::string> ManifestJson(const ModelManifest& m, const SafetensorsFile& file) {
  // ordered_json keeps the fields in this order, which reads best.
  nlohmann::ordered_json j;
  j["model_type"] = m.model_type;
  j["format_version"] = m.format_version;
  j["num_items"] = m.num_items;
  j["dims"] = m.dims;
  j["data_hash"] = m.data_hash;
  j["created_at"] = m.created_at;
  j["metrics"] = m.metrics;
  j["params"] = m.params;
  nlohmann::ordered_json tensors = nlohmann::ordered_json::object();
  for (const std::string& name : file.names()) {
    const TensorView view = *file.Get(name);
    tensors[name] = {{"dtype", DTypeName(view.dtype)},
                     {"shape", view.shape},
                     {"checksum", m.tensor_checksums.at(name)}};
  }
  j["tensors"] = std::move(tensors);
  try {
    return j.dump(2) + "\n";
  } catch (const nlohmann::json::exception& e) {  // strings that are not UTF-8
    return absl::InvalidArgumentError(absl::StrCat("cannot encode manifest: ", e.what()));
  }
}

// Reads manifest.json fields, each error naming the file and the field.
class ManifestParser {
 public:
  explicit ManifestParser(const std::string& path) : path_(path) {}

  absl::Status Parse(const Json& root, ModelManifest* m, std::map<std::string, TensorSpec>* specs) {
    if (!root.is_object())
      return Error("", absl::StrCat("is a ", root.type_name(), ", expected an object"));
    absl::Status s;
    if (s = String(root, "model_type", /*required=*/true, &m->model_type); !s.ok()) return s;
    int64_t version = 0;
    if (s = Int(root, "format_version", &version); !s.ok()) return s;
    if (version < 1 || version > std::numeric_limits<int>::max()) {
      return Error("format_version", absl::StrCat("is ", version, ", expected >= 1"));
    }
    m->format_version = static_cast<int>(version);
    if (s = Int(root, "num_items", &m->num_items); !s.ok()) return s;
    if (m->num_items < 0) return Error("num_items", "is negative");
    if (s = String(root, "data_hash", /*required=*/false, &m->data_hash); !s.ok()) return s;
    if (s = String(root, "created_at", /*required=*/false, &m->created_at); !s.ok()) return s;
    if (s = Dims(root, &m->dims); !s.ok()) return s;
    if (s = Metrics(root, &m->metrics); !s.ok()) return s;
    if (s = Params(root, &m->params); !s.ok()) return s;
    return Tensors(root, m, specs);
  }

 private:
  absl::Status Error(const std::string& field, const std::string& what) const {
    if (field.empty()) return absl::DataLossError(absl::StrCat(path_, ": ", what));
    return absl::DataLossError(absl::StrCat(path_, ": field '", field, "' ", what));
  }

  absl::Status String(const Json& obj, const char* key, bool required, std::string* out) const {
    const auto it = obj.find(key);
    if (it == obj.end()) return required ? Error(key, "is missing") : absl::OkStatus();
    if (!it->is_string())
      return Error(key, absl::StrCat("is a ", it->type_name(), ", expected a string"));
    *out = it->get<std::string>();
    return absl::OkStatus();
  }

  absl::Status Int(const Json& obj, const char* key, int64_t* out) const {
    const auto it = obj.find(key);
    if (it == obj.end()) return Error(key, "is missing");
    if (!it->is_number_integer()) {
      return Error(key, absl::StrCat("is ", it->dump(), ", expected an integer"));
    }
    *out = it->get<int64_t>();
    return absl::OkStatus();
  }

  // An optional object field; null when absent, or an error if not an object.
  absl::StatusOr<const Json*> Object(const Json& obj, const char* key) const {
    const auto it = obj.find(key);
    if (it == obj.end()) return nullptr;
    if (!it->is_object())
      return Error(key, absl::StrCat("is a ", it->type_name(), ", expected an object"));
    return &*it;
  }

  absl::Status Dims(const Json& root, std::map<std::string, int64_t>* out) const {
    absl::StatusOr<const Json*> dims = Object(root, "dims");
    if (!dims.ok() || *dims == nullptr) return dims.status();
    for (const auto& [k, v] : (*dims)->items()) {
      if (!v.is_number_integer()) {
        return Error(absl::StrCat("dims.", k),
                     absl::StrCat("is ", v.dump(), ", expected an integer"));
      }
      (*out)[k] = v.get<int64_t>();
    }
    return absl::OkStatus();
  }

  absl::Status Metrics(const Json& root, std::map<std::string, double>* out) const {
    absl::StatusOr<const Json*> metrics = Object(root, "metrics");
    if (!metrics.ok() || *metrics == nullptr) return metrics.status();
    for (const auto& [k, v] : (*metrics)->items()) {
      // JSON has no NaN; nlohmann writes a NaN metric as null, so read it back.
      if (v.is_null()) {
        (*out)[k] = std::numeric_limits<double>::quiet_NaN();
      } else if (v.is_number()) {
        (*out)[k] = v.get<double>();
      } else {
        return Error(absl::StrCat("metrics.", k),
                     absl::StrCat("is ", v.dump(), ", expected a number"));
      }
    }
    return absl::OkStatus();
  }

  // Params are free-form strings; a Python exporter naturally writes numbers
  // and booleans, which are kept in their JSON spelling ("0.01", "true").
  absl::Status Params(const Json& root, std::map<std::string, std::string>* out) const {
    absl::StatusOr<const Json*> params = Object(root, "params");
    if (!params.ok() || *params == nullptr) return params.status();
    for (const auto& [k, v] : (*params)->items()) {
      if (v.is_string()) {
        (*out)[k] = v.get<std::string>();
      } else if (v.is_number() || v.is_boolean()) {
        (*out)[k] = v.dump();
      } else {
        return Error(absl::StrCat("params.", k),
                     absl::StrCat("is a ", v.type_name(), ", expected a string"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Tensors(const Json& root, ModelManifest* m,
                       std::map<std::string, TensorSpec>* specs) const {
    const auto it = root.find("tensors");
    if (it == root.end()) return Error("tensors", "is missing");
    if (!it->is_object())
      return Error("tensors", absl::StrCat("is a ", it->type_name(), ", expected an object"));
    for (const auto& [name, entry] : it->items()) {
      const std::string field = absl::StrCat("tensors.", name);
      if (!entry.is_object()) return Error(field, "is not an object");
      TensorSpec spec;
      const auto dtype = entry.find("dtype");
      if (dtype == entry.end() || !dtype->is_string()) {
        return Error(field + ".dtype", "is missing or not a string");
      }
      const std::optional<DType> parsed = DTypeFromName(dtype->get<std::string>());
      if (!parsed) {
        return Error(field + ".dtype",
                     absl::StrCat("is unsupported dtype ", dtype->get<std::string>()));
      }
      spec.dtype = *parsed;
      const auto shape = entry.find("shape");
      if (shape == entry.end() || !shape->is_array())
        return Error(field + ".shape", "is missing or not a list");
      for (const Json& d : *shape) {
        if (!d.is_number_unsigned() ||
            d.get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
          return Error(field + ".shape",
                       absl::StrCat("is ", shape->dump(), ", expected non-negative ints"));
        }
        spec.shape.push_back(d.get<int64_t>());
      }
      const auto checksum = entry.find("checksum");
      if (checksum == entry.end() || !checksum->is_string()) {
        return Error(field + ".checksum", "is missing or not a string");
      }
      spec.checksum = checksum->get<std::string>();
      m->tensor_checksums[name] = spec.checksum;
      (*specs)[name] = std::move(spec);
    }
    return absl::OkStatus();
  }

  const std::string& path_;
};

absl::StatusOr<Json> ReadJson(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open (missing manifest?)"));
  std::stringstream text;
  text << in.rdbuf();
  try {
    return Json::parse(text.str());
  } catch (const Json::exception& e) {
    return absl::DataLossError(absl::StrCat(path, ": not valid JSON: ", e.what()));
  }
}

// A NaN or Inf weight makes every score it touches NaN, which sorts
// unpredictably and poisons fusion; a trainer that diverged writes such a
// file with perfectly consistent checksums. Checked here, where every model
// type loads its tensors, so no scorer can forget it.
absl::Status VerifyFinite(const SafetensorsFile& file, const TensorView& view) {
  if (view.dtype != DType::kF32) return absl::OkStatus();
  const std::span<const float> values = view.f32();
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return absl::InvalidArgumentError(absl::StrCat(file.path(), ": tensor '", view.name,
                                                     "' holds a non-finite value (", values[i],
                                                     ") at element ", i));
    }
  }
  return absl::OkStatus();
}

// Every tensor in the file must be exactly what the manifest promised.
absl::Status VerifyTensors(const SafetensorsFile& file, const std::string& manifest_path,
                           const std::map<std::string, TensorSpec>& specs) {
  for (const std::string& name : file.names()) {
    if (!specs.contains(name)) {
      return absl::DataLossError(
          absl::StrCat(file.path(), ": tensor '", name, "' is not listed in ", manifest_path));
    }
  }
  for (const auto& [name, spec] : specs) {
    absl::StatusOr<TensorView> view = file.Get(name);
    if (!view.ok()) {
      return absl::DataLossError(absl::StrCat(file.path(), ": tensor '", name, "' listed in ",
                                              manifest_path, " is missing"));
    }
    if (view->dtype != spec.dtype || view->shape != spec.shape) {
      return absl::DataLossError(absl::StrCat(file.path(), ": tensor '", name, "' is ",
                                              DTypeName(view->dtype), " ", ShapeString(view->shape),
                                              " but ", manifest_path, " says ",
                                              DTypeName(spec.dtype), " ", ShapeString(spec.shape)));
    }
    const std::string actual = HashBytes(view->data, view->nbytes);
    if (actual != spec.checksum) {
      return absl::DataLossError(absl::StrCat(file.path(), ": tensor '", name, "' has checksum ",
                                              actual, " but ", manifest_path, " says ",
                                              spec.checksum, " (corrupt file)"));
    }
    if (absl::Status s = VerifyFinite(file, *view); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ModelDir::Write(const std::string& dir, ModelManifest manifest,
                             const SafetensorsWriter& tensors) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat(dir, ": cannot create directory: ", ec.message()));
  }
  const std::string tensor_path = JoinPath(dir, kTensorFile);
  if (absl::Status s = tensors.Write(tensor_path); !s.ok()) return s;
  // Checksums come from the file as written, so the manifest vouches for the
  // bytes on disk and Write() doubles as a check that the file reads back.
  absl::StatusOr<std::unique_ptr<SafetensorsFile>> file = SafetensorsFile::Open(tensor_path);
  if (!file.ok()) return file.status();
  manifest.tensor_checksums.clear();
  for (const std::string& name : (*file)->names()) {
    const TensorView view = *(*file)->Get(name);
    manifest.tensor_checksums[name] = HashBytes(view.data, view.nbytes);
  }
  if (manifest.created_at.empty()) manifest.created_at = NowIso8601Utc();
  const std::string manifest_path = JoinPath(dir, kManifestFile);
  absl::StatusOr<std::string> text = ManifestJson(manifest, **file);
  if (!text.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(manifest_path, ": ", std::string(text.status().message())));
  }
  const std::string_view parts[] = {*text};
  return WriteFileAtomically(manifest_path, parts);
}

absl::StatusOr<std::unique_ptr<ModelDir>> ModelDir::Open(const std::string& dir,
                                                         const std::string& expected_type) {
  const std::string manifest_path = JoinPath(dir, kManifestFile);
  absl::StatusOr<Json> root = ReadJson(manifest_path);
  if (!root.ok()) return root.status();
  std::unique_ptr<ModelDir> model(new ModelDir());
  model->dir_ = dir;
  std::map<std::string, TensorSpec> specs;
  if (absl::Status s = ManifestParser(manifest_path).Parse(*root, &model->manifest_, &specs);
      !s.ok()) {
    return s;
  }
  const ModelManifest& m = model->manifest_;
  if (m.model_type != expected_type) {
    return absl::InvalidArgumentError(absl::StrCat(manifest_path, ": model_type is '", m.model_type,
                                                   "', expected '", expected_type, "'"));
  }
  if (m.format_version > kModelFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat(manifest_path, ": format_version ", m.format_version,
                     " is newer than this build reads (", kModelFormatVersion, ")"));
  }
  absl::StatusOr<std::unique_ptr<SafetensorsFile>> file =
      SafetensorsFile::Open(JoinPath(dir, kTensorFile));
  if (!file.ok()) return file.status();
  if (absl::Status s = VerifyTensors(**file, manifest_path, specs); !s.ok()) return s;
  model->file_ = std::move(*file);
  return model;
}

}  // namespace recd
