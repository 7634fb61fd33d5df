#include "models/markov_scorer.h"

#include <cmath>
#include <utility>

#include "models/sparse_scores.h"

namespace recd {

MarkovScorer::MarkovScorer(SparseRowMatrix transitions, std::vector<float> prior,
                           MarkovScoring scoring)
    : transitions_(std::move(transitions)), prior_(std::move(prior)), scoring_(scoring) {}

std::unique_ptr<UserState> MarkovScorer::Encode(const UserHistory& history) const {
  const size_t n = history.events.size();
  const size_t take = scoring_.history_items > 0
                          ? std::min(n, static_cast<size_t>(scoring_.history_items))
                          : n;
  std::vector<ItemScore> rows;
  rows.reserve(take);
  float w = 1.0f;
  for (size_t a = 0; a < take; ++a, w *= scoring_.recency_decay) {
    rows.push_back({history.events[n - 1 - a].item, w});
  }
  return SparseScores::FromRows(transitions_, rows);
}

void MarkovScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreAll(prior_, scoring_.prior_weight, out);
}

void MarkovScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                   std::span<float> out) const {
  static_cast<const SparseScores&>(state).ScoreCandidates(prior_, scoring_.prior_weight,
                                                          candidates, out);
}

std::vector<ItemScore> MarkovScorer::TopNeighbours(int32_t item, int32_t k) const {
  if (item < 0 || item >= transitions_.rows()) return {};
  return TopOfRow(transitions_, item, k);
}

std::unique_ptr<MarkovScorer> MarkovScorer::WithScoring(const MarkovScoring& scoring) const {
  return std::make_unique<MarkovScorer>(transitions_, prior_, scoring);
}

}  // namespace recd
