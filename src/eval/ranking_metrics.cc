#include "recd/ranking_metrics.h"

#include <algorithm>
#include <cmath>

#include "absl/container/flat_hash_set.h"

namespace recd {

int64_t RankOfTarget(std::span<const float> scores, int32_t target,
                     std::span<const int32_t> excluded) {
  const float t = scores[static_cast<size_t>(target)];
  int64_t above = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    if (static_cast<int32_t>(i) != target && !(scores[i] < t)) ++above;
  }
  // Excluded items are not ranked: take back those counted above.
  absl::flat_hash_set<int32_t> seen;
  for (int32_t e : excluded) {
    if (e == target || !seen.insert(e).second) continue;
    if (!(scores[static_cast<size_t>(e)] < t)) --above;
  }
  return above;
}

double NdcgAt(int64_t rank, int k) {
  return rank < k ? 1.0 / std::log2(static_cast<double>(rank) + 2.0) : 0.0;
}

int64_t HitsAt(std::span<const int64_t> target_ranks, int k) {
  return std::count_if(target_ranks.begin(), target_ranks.end(), [k](int64_t r) { return r < k; });
}

double PrecisionAt(std::span<const int64_t> target_ranks, int k) {
  if (k <= 0) return 0;
  return static_cast<double>(HitsAt(target_ranks, k)) / static_cast<double>(k);
}

double RecallAt(std::span<const int64_t> target_ranks, int k) {
  if (target_ranks.empty()) return 0;
  return static_cast<double>(HitsAt(target_ranks, k)) / static_cast<double>(target_ranks.size());
}

double F1At(std::span<const int64_t> target_ranks, int k) {
  const double p = PrecisionAt(target_ranks, k);
  const double r = RecallAt(target_ranks, k);
  return p + r > 0 ? 2 * p * r / (p + r) : 0.0;
}

double NdcgAt(std::span<const int64_t> target_ranks, int k) {
  double dcg = 0;
  for (int64_t r : target_ranks) dcg += NdcgAt(r, k);
  double ideal = 0;
  const int64_t n = std::min<int64_t>(static_cast<int64_t>(target_ranks.size()), k);
  for (int64_t i = 0; i < n; ++i) ideal += NdcgAt(i, k);
  return ideal > 0 ? dcg / ideal : 0.0;
}

}  // namespace recd
