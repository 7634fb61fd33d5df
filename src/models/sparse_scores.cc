#include "models/sparse_scores.h"

#include <algorithm>

namespace recd {

void SumWeightedRows(const SparseRowMatrix& m, std::span<const ItemScore> weighted_rows,
                     std::vector<int32_t>& cols, std::vector<float>& values) {
  // Histories are short and rows are sparse: concatenating the rows and
  // merging them beats a hash map (or a dense buffer of the catalog) here.
  std::vector<ItemScore> all;
  std::vector<size_t> runs = {0};  // run r is [runs[r], runs[r + 1])
  for (const ItemScore& r : weighted_rows) {
    if (r.item < 0 || r.item >= m.rows() || r.score == 0.0f) continue;
    for (SparseRowMatrix::InnerIterator it(m, r.item); it; ++it) {
      all.push_back({static_cast<int32_t>(it.col()), r.score * it.value()});
    }
    if (all.size() > runs.back()) runs.push_back(all.size());
  }
  const auto by_col = [](const ItemScore& a, const ItemScore& b) { return a.item < b.item; };
  std::vector<ItemScore> merged(all.size());
  while (runs.size() > 2) {
    std::vector<size_t> next = {0};
    for (size_t r = 0; r + 1 < runs.size(); r += 2) {
      const auto first = all.begin() + static_cast<std::ptrdiff_t>(runs[r]);
      const auto middle = all.begin() + static_cast<std::ptrdiff_t>(runs[r + 1]);
      const size_t end = r + 2 < runs.size() ? runs[r + 2] : runs[r + 1];  // an odd run out is copied
      std::merge(first, middle, middle, all.begin() + static_cast<std::ptrdiff_t>(end),
                 merged.begin() + static_cast<std::ptrdiff_t>(runs[r]), by_col);
      next.push_back(end);
    }
    all.swap(merged);
    runs = std::move(next);
  }
  cols.clear();
  values.clear();
  for (const ItemScore& e : all) {
    if (!cols.empty() && cols.back() == e.item) {
      values.back() += e.score;
    } else {
      cols.push_back(e.item);
      values.push_back(e.score);
    }
  }
}

std::unique_ptr<SparseScores> SparseScores::FromRows(const SparseRowMatrix& m,
                                                     std::span<const ItemScore> weighted_rows) {
  auto state = std::make_unique<SparseScores>();
  SumWeightedRows(m, weighted_rows, state->items_, state->scores_);
  return state;
}

void SparseScores::AppendTop(int n, std::vector<int32_t>& out) const {
  std::vector<ItemScore> entries(items_.size());
  for (size_t i = 0; i < entries.size(); ++i) entries[i] = {items_[i], scores_[i]};
  for (const ItemScore& s : TopItemScores(std::move(entries), n)) out.push_back(s.item);
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
