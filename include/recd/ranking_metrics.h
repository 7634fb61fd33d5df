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

// The same for a user with a set of relevant items (targets), given the
// 0-based rank of each target in the user's ranked list (distinct ranks; one
// entry per target). Leave-one-out is the case of a single target, where
// precision@k = HitAt / k, recall@k = HitAt and F1@k = 2 HitAt / (k + 1).
// Each is 0 for an empty target set.

// Targets ranked in the top k.
int64_t HitsAt(std::span<const int64_t> target_ranks, int k);
// Share of the top k that are targets: hits / k.
double PrecisionAt(std::span<const int64_t> target_ranks, int k);
// Share of the targets in the top k: hits / |targets|.
double RecallAt(std::span<const int64_t> target_ranks, int k);
// Harmonic mean of PrecisionAt and RecallAt (0 when both are).
double F1At(std::span<const int64_t> target_ranks, int k);
// DCG of the top k (gain 1 per target, discount 1 / log2(rank + 2)) over the
// DCG of an ideal list with the targets first (min(|targets|, k) of them).
double NdcgAt(std::span<const int64_t> target_ranks, int k);

}  // namespace recd

#endif  // RECD_RANKING_METRICS_H_
