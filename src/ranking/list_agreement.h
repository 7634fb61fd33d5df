#ifndef RECD_RANKING_LIST_AGREEMENT_H_
#define RECD_RANKING_LIST_AGREEMENT_H_

#include <optional>
#include <span>
#include <string>

namespace recd {

// How far two rankers agree on one request's top lists (best first, ids
// distinct within a list): what a shadow rollout reports against the live
// answers. Pure functions.

// The share of the top k the two lists hold in common: |A_k n B_k| / k, or
// over the longer list when rules left both shorter than k (two empty
// lists agree: 1). REQUIRES: k > 0.
double OverlapAtK(std::span<const std::string> a, std::span<const std::string> b, int k);

// Kendall's tau-a over the items both top-k lists hold: (concordant -
// discordant) / pairs, in [-1, 1]; 1 when the shared items come in the same
// order. Unset when fewer than two items are shared (no pair to order).
std::optional<double> SharedRankCorrelation(std::span<const std::string> a, std::span<const std::string> b, int k);

}  // namespace recd

#endif  // RECD_RANKING_LIST_AGREEMENT_H_
