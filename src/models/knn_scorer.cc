#include "models/knn_scorer.h"

#include <algorithm>
#include <utility>

#include "models/csr_tensors.h"
#include "models/manifest_params.h"
#include "models/sparse_scores.h"

namespace recd {

KnnScorer::KnnScorer(SparseRowMatrix similarities, std::vector<float> prior, KnnScoring scoring)
    : similarities_(std::move(similarities)), prior_(std::move(prior)), scoring_(scoring) {}

std::unique_ptr<UserState> KnnScorer::Encode(const UserHistory& history) const {
  const size_t n = history.events.size();
  const size_t take = scoring_.history_items > 0
                          ? std::min(n, static_cast<size_t>(scoring_.history_items))
                          : n;
  std::vector<ItemScore> rows;
  rows.reserve(take);
  float w = 1.0f;
  for (size_t a = 0; a < take; ++a, w *= scoring_.recency_decay) {
    const Event& e = history.events[n - 1 - a];
    rows.push_back({e.item, w * scoring_.event_weights.Of(e.type)});
  }
  return SparseScores::FromRows(similarities_, rows);
}

void KnnScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreAll(prior_, scoring_.prior_weight, out);
}

void KnnScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreCandidates(prior_, scoring_.prior_weight,
                                                          candidates, out);
}

std::vector<ItemScore> KnnScorer::TopNeighbours(int32_t item, int32_t k) const {
  if (item < 0 || item >= similarities_.rows()) return {};
  return TopOfRow(similarities_, item, k);
}

std::unique_ptr<KnnScorer> KnnScorer::WithScoring(const KnnScoring& scoring) const {
  return std::make_unique<KnnScorer>(similarities_, prior_, scoring);
}

absl::Status KnnScorer::Save(const std::string& dir, ModelManifest base) const {
  base.model_type = std::string(kName);
  base.num_items = num_items();
  base.dims["history_items"] = scoring_.history_items;
  SetFloatParam("recency_decay", scoring_.recency_decay, &base);
  SetFloatParam("prior_weight", scoring_.prior_weight, &base);
  SetEventWeightParams(scoring_.event_weights, &base);
  SafetensorsWriter tensors;
  AddCsrTensors("similarities", similarities_, &tensors);
  tensors.AddF32("prior", {{num_items()}}, prior_);
  return ModelDir::Write(dir, std::move(base), tensors);
}

absl::StatusOr<std::unique_ptr<KnnScorer>> KnnScorer::Load(const std::string& model_dir) {
  auto model = ModelDir::Open(model_dir, std::string(kName));
  if (!model.ok()) return model.status();
  const int64_t n = (*model)->manifest().num_items;
  auto matrix = ReadCsrTensors((*model)->tensors(), "similarities", n, n);
  if (!matrix.ok()) return matrix.status();
  auto prior = ReadF32Vector((*model)->tensors(), "prior", n);
  if (!prior.ok()) return prior.status();
  KnnScoring scoring;
  auto history_items = GetDim(**model, "history_items");
  if (!history_items.ok()) return history_items.status();
  scoring.history_items = static_cast<int32_t>(*history_items);
  auto recency_decay = GetFloatParam(**model, "recency_decay");
  if (!recency_decay.ok()) return recency_decay.status();
  scoring.recency_decay = *recency_decay;
  auto prior_weight = GetFloatParam(**model, "prior_weight");
  if (!prior_weight.ok()) return prior_weight.status();
  scoring.prior_weight = *prior_weight;
  auto event_weights = GetEventWeightParams(**model);
  if (!event_weights.ok()) return event_weights.status();
  scoring.event_weights = *event_weights;
  return std::make_unique<KnnScorer>(*std::move(matrix), *std::move(prior), scoring);
}

}  // namespace recd
