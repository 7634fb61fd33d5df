#include "models/knn_scorer.h"

#include <algorithm>
#include <utility>

#include "models/item_item_model.h"
#include "models/sparse_scores.h"

namespace recd {

KnnScorer::KnnScorer(SparseRowMatrix similarities, std::vector<float> prior, KnnScoring scoring)
    : similarities_(std::move(similarities)), prior_(std::move(prior)), prior_sums_(DenseSums::Of(prior_)), scoring_(scoring) {}

RecentItemsWeighting KnnScorer::Weighting() const {
  return RecentItemsWeighting{scoring_.history_items, scoring_.recency_decay,
                              scoring_.event_weights};
}

std::unique_ptr<UserState> KnnScorer::Encode(const UserHistory& history) const {
  return EncodeRecentItems(similarities_, history, Weighting());
}

void KnnScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreAll(prior_, scoring_.prior_weight, out);
}

std::optional<ScoreMoments> KnnScorer::CatalogMoments(const UserState& state) const {
  const auto& sparse = static_cast<const SparseScores&>(state);
  return SparseOverPriorMoments(prior_sums_, prior_, scoring_.prior_weight, sparse.items(), sparse.scores());
}

void KnnScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreCandidates(prior_, scoring_.prior_weight, candidates,
                                                          out);
}

float KnnScorer::ItemSimilarity(int32_t a, int32_t b) const {
  if (a < 0 || b < 0 || a >= similarities_.rows() || b >= similarities_.cols()) return 0;
  return similarities_.coeff(a, b);
}

std::vector<ItemScore> KnnScorer::TopNeighbours(int32_t item, int32_t k) const {
  if (item < 0 || item >= similarities_.rows()) return {};
  return TopOfRow(similarities_, item, k);
}

std::unique_ptr<KnnScorer> KnnScorer::WithScoring(const KnnScoring& scoring) const {
  return std::make_unique<KnnScorer>(similarities_, prior_, scoring);
}

absl::Status KnnScorer::Save(const std::string& dir, ModelManifest base) const {
  return SaveItemItemModel(dir, std::move(base), kName, "similarities", similarities_, prior_,
                           Weighting(), scoring_.prior_weight);
}

absl::StatusOr<std::unique_ptr<KnnScorer>> KnnScorer::Load(const std::string& model_dir) {
  auto model = LoadItemItemModel(model_dir, kName, "similarities", /*with_event_weights=*/true);
  if (!model.ok()) return model.status();
  KnnScoring scoring;
  scoring.history_items = model->weighting.history_items;
  scoring.recency_decay = model->weighting.recency_decay;
  scoring.prior_weight = model->prior_weight;
  scoring.event_weights = *model->weighting.event_weights;
  return std::make_unique<KnnScorer>(std::move(model->matrix), std::move(model->prior), scoring);
}

}  // namespace recd
