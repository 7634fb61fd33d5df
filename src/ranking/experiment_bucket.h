#ifndef RECD_RANKING_EXPERIMENT_BUCKET_H_
#define RECD_RANKING_EXPERIMENT_BUCKET_H_

#include <span>
#include <string_view>
#include <vector>

namespace recd {

// How users are split between A/B arms, with no config or server types:
// the daemon (server/experiments.h) and the offline replay evaluation
// (eval/replay_evaluator.h) both assign through these, so an arm holds the
// same users in both. Pure functions; thread-safe.

// Buckets users are hashed into; arm shares resolve to 0.01%.
inline constexpr int kExperimentBuckets = 10000;

// The user's bucket in [0, kExperimentBuckets): the user id's 64-bit xxHash
// seeded by the salt's. Changing the salt reshuffles every user.
int ExperimentBucket(std::string_view salt, std::string_view user_id);

// Each arm's end bucket (users with bucket < end and >= the previous arm's
// end are in it), given the arms' shares in order: cumulative shares
// rounded to buckets, the last arm ending at kExperimentBuckets whatever
// rounding left. REQUIRES: shares non-empty, adding up to 1.
std::vector<int> ArmEndBuckets(std::span<const double> shares);

}  // namespace recd

#endif  // RECD_RANKING_EXPERIMENT_BUCKET_H_
