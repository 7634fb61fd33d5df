#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "recd/model_bundle.h"

namespace recd {
namespace {

absl::StatusOr<std::string> ReadModelType(const std::string& model_dir) {
  const std::string path = (std::filesystem::path(model_dir) / "manifest.json").string();
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("model_type") ||
      !doc["model_type"].is_string()) {
    return absl::DataLossError(absl::StrCat(path, ": missing or invalid 'model_type'"));
  }
  return doc["model_type"].get<std::string>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Scorer>> LoadScorer(const std::string& model_dir) {
  auto type = ReadModelType(model_dir);
  if (!type.ok()) return type.status();
  return absl::InvalidArgumentError(
      absl::StrCat(model_dir, "/manifest.json: unknown model_type '", *type, "'"));
}

}  // namespace recd
