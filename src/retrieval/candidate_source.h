#ifndef RECD_RETRIEVAL_CANDIDATE_SOURCE_H_
#define RECD_RETRIEVAL_CANDIDATE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "recd/scorer.h"

namespace recd {

// One way of proposing items for a user before the models score them: the
// model's own best items for the state it encoded (popular items, the
// co-occurrence neighbours of recent items, nearest item embeddings). The
// candidate stage takes the union over every model's source, so each model
// gets to nominate what it would rank highest and the fusion decides.
// Implementations are immutable and thread-safe for concurrent Retrieve().
class CandidateSource {
 public:
  virtual ~CandidateSource() = default;

  // Appends up to n items, roughly best first, that the model scores highest
  // for `state`. `ef` is the search beam of a source backed by an index
  // (0 = the index's default); a search-time setting passed per call so
  // that changing it never rebuilds an index. Other sources ignore it.
  // REQUIRES: `state` came from the scorer this source serves.
  virtual void Retrieve(const UserState& state, int n, int ef, std::vector<int32_t>& out) const = 0;
};

// The index-free source for `scorer`, picked by model type: precomputed
// popularity for pop, the top of the sparse user vector for knn and markov,
// the profile's selective tokens for content, and an exact scan (ScoreAll +
// top n) for anything else (mf and lstm without an ANN index).
std::unique_ptr<CandidateSource> MakeExactCandidateSource(const Scorer& scorer);

}  // namespace recd

#endif  // RECD_RETRIEVAL_CANDIDATE_SOURCE_H_
