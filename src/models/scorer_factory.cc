#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "models/content_scorer.h"
#include "models/knn_scorer.h"
#include "models/lstm_scorer.h"
#include "models/markov_scorer.h"
#include "models/mf_scorer.h"
#include "models/pop_scorer.h"
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
  if (*type == "mf") return AsScorer(MfScorer::Load(model_dir));
  if (*type == "content") return AsScorer(ContentScorer::Load(model_dir));
  if (*type == "knn") return AsScorer(KnnScorer::Load(model_dir));
  if (*type == "markov") return AsScorer(MarkovScorer::Load(model_dir));
  if (*type == "pop") return AsScorer(PopScorer::Load(model_dir));
  if (*type == "lstm") return AsScorer(LstmScorer::Load(model_dir));
  return absl::InvalidArgumentError(
      absl::StrCat(model_dir, "/manifest.json: unknown model_type '", *type, "'"));
}

}  // namespace recd
