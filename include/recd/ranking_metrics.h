#ifndef RECD_RANKING_METRICS_H_
#define RECD_RANKING_METRICS_H_

#include <cstdint>
#include <span>

namespace recd {

// 0-based rank of `target` among all items by descending score, skipping
// items in `excluded` (the user's history; the target itself is never
// skipped). Ties count against the target (pessimistic), so a model that
// gives every item the same score cannot look good.
int64_t RankOfTarget(std::span<const float> scores, int32_t target,
                     std::span<const int32_t> excluded);

// Hit ratio and NDCG at cutoff k for one user with a single relevant item.
inline double HitAt(int64_t rank, int k) { return rank < k ? 1.0 : 0.0; }
double NdcgAt(int64_t rank, int k);
inline double ReciprocalRank(int64_t rank) { return 1.0 / static_cast<double>(rank + 1); }

}  // namespace recd

#endif  // RECD_RANKING_METRICS_H_
