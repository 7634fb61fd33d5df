#ifndef RECD_RETRIEVAL_EMBEDDING_SOURCE_H_
#define RECD_RETRIEVAL_EMBEDDING_SOURCE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "recd/scorer.h"
#include "retrieval/ann_index.h"
#include "retrieval/candidate_source.h"

namespace recd {

// The source of a model that scores by an inner product with item vectors:
// MF (user factor . item factors) and the LSTM (hidden state . output layer
// + bias). It nominates by approximate maximum-inner-product search in an
// AnnIndex, so a request costs a graph search instead of a scan of the
// catalog. Returns null for other model types.
//
// The index is the one persisted in `index_dir` (AnnIndex::Save, as
// recd-train writes it into the model's directory) when that one was built
// from this model's vectors; otherwise it is built here, which takes
// seconds on 100k items: call at bundle load, never per request. A
// persisted index that is stale or corrupt is not an error: the model's
// tensors, which ModelDir verified, are the truth and the index can be
// rebuilt from them, so this logs a warning naming the file and builds.
// Empty `index_dir`: always build.
absl::StatusOr<std::unique_ptr<CandidateSource>> MakeAnnCandidateSource(
    const Scorer& scorer, const AnnIndexOptions& options, const std::string& index_dir);

// Builds the index MakeAnnCandidateSource would and saves it into
// `model_dir`, for recd-train. Returns false, writing nothing, for a model
// that is not an embedding model.
absl::StatusOr<bool> BuildAndSaveAnnIndex(const Scorer& scorer, const AnnIndexOptions& options,
                                          const std::string& model_dir);

}  // namespace recd

#endif  // RECD_RETRIEVAL_EMBEDDING_SOURCE_H_
