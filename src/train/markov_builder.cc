#include "train/markov_builder.h"

#include <algorithm>
#include <vector>

#include "train/train_inputs.h"

namespace recd {
namespace {

// Keeps the `k` largest entries of every row (ties by lower column).
SparseRowMatrix PruneRows(const SparseRowMatrix& m, int32_t k) {
  std::vector<Eigen::Triplet<float, int32_t>> kept;
  for (int32_t r = 0; r < m.rows(); ++r) {
    for (const ItemScore& e : TopOfRow(m, r, k)) kept.emplace_back(r, e.item, e.score);
  }
  SparseRowMatrix out(m.rows(), m.cols());
  out.setFromTriplets(kept.begin(), kept.end());
  out.makeCompressed();
  return out;
}

}  // namespace

absl::StatusOr<std::unique_ptr<MarkovScorer>> BuildMarkov(const Dataset& train_view,
                                                         const MarkovBuilderOptions& options) {
  if (absl::Status s = CheckTrainingData(train_view); !s.ok()) return s;
  if (options.adjacent_weight < 0 || options.skip1_weight < 0 || options.skip2_weight < 0 ||
      options.smoothing < 0 || options.max_row_entries < 0) {
    return absl::InvalidArgumentError("markov options must not be negative");
  }
  const float gap_weight[3] = {options.adjacent_weight, options.skip1_weight,
                               options.skip2_weight};
  const int32_t n = train_view.num_items();
  std::vector<Eigen::Triplet<float, int32_t>> counts;
  for (const auto& h : train_view.histories) {
    for (size_t p = 0; p < h.size(); ++p) {
      for (size_t gap = 1; gap <= 3 && p + gap < h.size(); ++gap) {
        const float w = gap_weight[gap - 1];
        if (w == 0.0f || h[p].item == h[p + gap].item) continue;
        counts.emplace_back(h[p].item, h[p + gap].item, w);
      }
    }
  }
  SparseRowMatrix transitions(n, n);
  transitions.setFromTriplets(counts.begin(), counts.end());  // sums duplicates
  transitions.makeCompressed();
  for (int32_t r = 0; r < n; ++r) {
    float total = 0.0f;
    for (SparseRowMatrix::InnerIterator it(transitions, r); it; ++it) total += it.value();
    if (total == 0.0f) continue;
    const float denom = total + options.smoothing;
    for (SparseRowMatrix::InnerIterator it(transitions, r); it; ++it) it.valueRef() /= denom;
  }
  if (options.max_row_entries > 0) transitions = PruneRows(transitions, options.max_row_entries);
  return std::make_unique<MarkovScorer>(std::move(transitions), PopularityPrior(train_view),
                                        options.scoring);
}

}  // namespace recd
