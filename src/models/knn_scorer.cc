#include "models/knn_scorer.h"

#include <algorithm>
#include <utility>

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

}  // namespace recd
