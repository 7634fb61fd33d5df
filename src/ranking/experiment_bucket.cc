#include "ranking/experiment_bucket.h"

#include <xxhash.h>

#include <cmath>
#include <cstdint>

namespace recd {

int ExperimentBucket(std::string_view salt, std::string_view user_id) {
  // The salt's own hash seeds the user id's: no concatenation, no allocation.
  const XXH64_hash_t seed = XXH64(salt.data(), salt.size(), 0);
  const XXH64_hash_t h = XXH64(user_id.data(), user_id.size(), seed);
  return static_cast<int>(h % static_cast<uint64_t>(kExperimentBuckets));
}

std::vector<int> ArmEndBuckets(std::span<const double> shares) {
  std::vector<int> ends;
  ends.reserve(shares.size());
  double cumulative = 0;
  for (size_t i = 0; i < shares.size(); ++i) {
    cumulative += shares[i];
    ends.push_back(i + 1 == shares.size()
                       ? kExperimentBuckets
                       : static_cast<int>(std::lround(cumulative * kExperimentBuckets)));
  }
  return ends;
}

}  // namespace recd
