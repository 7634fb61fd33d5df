#ifndef RECD_RETRIEVAL_EMBEDDING_SOURCE_H_
#define RECD_RETRIEVAL_EMBEDDING_SOURCE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "recd/scorer.h"
#include "retrieval/ann_index.h"
#include "retrieval/candidate_source.h"

namespace recd {

// The source of a model that scores by an inner product with item vectors:
// MF (user factor . item factors) and the LSTM (hidden state . output layer
// + bias). It nominates by approximate maximum-inner-product search in an
// AnnIndex built here, so a request costs a graph search instead of a scan
// of the catalog. Returns null for other model types. Building takes
// seconds on 100k items: call at bundle load, never per request.
absl::StatusOr<std::unique_ptr<CandidateSource>> MakeAnnCandidateSource(const Scorer& scorer,
                                                                        const AnnIndexOptions& options);

}  // namespace recd

#endif  // RECD_RETRIEVAL_EMBEDDING_SOURCE_H_
