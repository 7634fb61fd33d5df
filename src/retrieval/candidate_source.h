#ifndef RECD_RETRIEVAL_CANDIDATE_SOURCE_H_
#define RECD_RETRIEVAL_CANDIDATE_SOURCE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"

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

// The index-free source for `scorer`, as the model says (Scorer's seam):
// its own nominations when it nominates directly (popularity, the top of a
// sparse user vector, selective content tokens), else, for an embedding
// model without an ANN index, an exact scan (ScoreAll + top n). A model
// that says neither is FailedPrecondition naming it: never a silent scan.
absl::StatusOr<std::unique_ptr<CandidateSource>> MakeExactCandidateSource(const Scorer& scorer);

}  // namespace recd

#endif  // RECD_RETRIEVAL_CANDIDATE_SOURCE_H_
