#include "models/sparse_scores.h"

#include <algorithm>

namespace recd {

std::unique_ptr<SparseScores> SparseScores::FromRows(const SparseRowMatrix& m,
                                                     std::span<const ItemScore> weighted_rows) {
  // Histories are short and rows are sparse: concatenating the rows and
  // merging duplicates after a sort beats a hash map at these sizes.
  std::vector<ItemScore> all;
  for (const ItemScore& r : weighted_rows) {
    if (r.item < 0 || r.item >= m.rows() || r.score == 0.0f) continue;
    for (SparseRowMatrix::InnerIterator it(m, r.item); it; ++it) {
      all.push_back({static_cast<int32_t>(it.col()), r.score * it.value()});
    }
  }
  std::sort(all.begin(), all.end(),
            [](const ItemScore& a, const ItemScore& b) { return a.item < b.item; });
  auto state = std::make_unique<SparseScores>();
  for (const ItemScore& e : all) {
    if (!state->items_.empty() && state->items_.back() == e.item) {
      state->scores_.back() += e.score;
    } else {
      state->items_.push_back(e.item);
      state->scores_.push_back(e.score);
    }
  }
  return state;
}

void SparseScores::ScoreAll(std::span<const float> prior, float prior_weight,
                            std::span<float> out) const {
  if (prior_weight == 0.0f) {
    std::fill(out.begin(), out.end(), 0.0f);
  } else {
    for (size_t i = 0; i < out.size(); ++i) out[i] = prior_weight * prior[i];
  }
  for (size_t k = 0; k < items_.size(); ++k) out[static_cast<size_t>(items_[k])] += scores_[k];
}

void SparseScores::ScoreCandidates(std::span<const float> prior, float prior_weight,
                                   std::span<const int32_t> candidates,
                                   std::span<float> out) const {
  for (size_t i = 0; i < candidates.size(); ++i) {
    const int32_t c = candidates[i];
    float s = prior_weight == 0.0f ? 0.0f : prior_weight * prior[static_cast<size_t>(c)];
    const auto it = std::lower_bound(items_.begin(), items_.end(), c);
    if (it != items_.end() && *it == c) s += scores_[static_cast<size_t>(it - items_.begin())];
    out[i] = s;
  }
}

}  // namespace recd
