#include "models/markov_scorer.h"

#include <cmath>
#include <utility>

#include "models/item_item_model.h"
#include "models/sparse_scores.h"

namespace recd {

MarkovScorer::MarkovScorer(SparseRowMatrix transitions, std::vector<float> prior,
                           MarkovScoring scoring)
    : transitions_(std::move(transitions)), prior_(std::move(prior)), prior_sums_(DenseSums::Of(prior_)), scoring_(scoring) {}

RecentItemsWeighting MarkovScorer::Weighting() const {
  return RecentItemsWeighting{scoring_.history_items, scoring_.recency_decay, std::nullopt};
}

std::unique_ptr<UserState> MarkovScorer::Encode(const UserHistory& history) const {
  return EncodeRecentItems(transitions_, history, Weighting());
}

void MarkovScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreAll(prior_, scoring_.prior_weight, out);
}

std::optional<ScoreMoments> MarkovScorer::CatalogMoments(const UserState& state) const {
  const auto& sparse = static_cast<const SparseScores&>(state);
  return SparseOverPriorMoments(prior_sums_, prior_, scoring_.prior_weight, sparse.items(), sparse.scores());
}

void MarkovScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                   std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreCandidates(prior_, scoring_.prior_weight, candidates,
                                                          out);
}

std::vector<ItemScore> MarkovScorer::TopNeighbours(int32_t item, int32_t k) const {
  if (item < 0 || item >= transitions_.rows()) return {};
  return TopOfRow(transitions_, item, k);
}

std::unique_ptr<MarkovScorer> MarkovScorer::WithScoring(const MarkovScoring& scoring) const {
  return std::make_unique<MarkovScorer>(transitions_, prior_, scoring);
}

absl::Status MarkovScorer::Save(const std::string& dir, ModelManifest base) const {
  return SaveItemItemModel(dir, std::move(base), kName, "transitions", transitions_, prior_,
                           Weighting(), scoring_.prior_weight);
}

absl::StatusOr<std::unique_ptr<MarkovScorer>> MarkovScorer::Load(const std::string& model_dir) {
  auto model = LoadItemItemModel(model_dir, kName, "transitions", /*with_event_weights=*/false);
  if (!model.ok()) return model.status();
  MarkovScoring scoring;
  scoring.history_items = model->weighting.history_items;
  scoring.recency_decay = model->weighting.recency_decay;
  scoring.prior_weight = model->prior_weight;
  return std::make_unique<MarkovScorer>(std::move(model->matrix), std::move(model->prior), scoring);
}

}  // namespace recd
