#include "recd/ranking_metrics.h"

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

}  // namespace recd
