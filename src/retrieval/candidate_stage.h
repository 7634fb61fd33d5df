#ifndef RECD_RETRIEVAL_CANDIDATE_STAGE_H_
#define RECD_RETRIEVAL_CANDIDATE_STAGE_H_

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/model_bundle.h"
#include "retrieval/candidate_source.h"

namespace recd {

// What shapes a CandidateStage's sources and indexes: a change here needs a
// new stage (seconds of index building on a large catalog without
// persisted indexes). Everything a request can vary is in
// CandidateSearchOptions instead.
struct CandidateBuildOptions {
  // Catalogs up to this many items are scored whole, which is exact; larger
  // ones are scored only on the union of every model's candidates. Six
  // models scoring 100k items cost several ms per request here.
  int64_t full_scan_max_items = 20000;
  // Embedding models (mf, lstm) nominate through an HNSW index, loaded from
  // the bundle when recd-train persisted one there, else built at load;
  // false = an exact scan of the catalog per request.
  bool ann = true;
  // HNSW links per node and beam while inserting, for indexes built here
  // (see AnnIndexOptions). A persisted index keeps the trainer's values.
  int ann_m = 16;
  int ann_ef_construction = 200;
  // Threads building one index; 0 = half the hardware threads, at least 1,
  // so that a reload never takes every core from requests being served.
  int build_threads = 0;

  friend bool operator==(const CandidateBuildOptions&, const CandidateBuildOptions&) = default;
};

// How much each request retrieves. Read per request, so changing these
// reuses the stage and its indexes.
struct CandidateSearchOptions {
  // Items each model nominates per request (raised to cover k plus the
  // items the request excludes). On the 100k-item benchmark data, 100 gives
  // fused HR@10 0.3250 against 0.3255 for scoring the whole catalog.
  int per_source = 100;
  // The index's search beam (never narrower than per_source): wider finds
  // more of each model's true top items and costs more per request.
  int ann_ef_search = 128;

  friend bool operator==(const CandidateSearchOptions&, const CandidateSearchOptions&) = default;
};

// The `candidates:` section of the daemon's config, both halves.
struct CandidateOptions {
  CandidateBuildOptions build;
  CandidateSearchOptions search;
};

// InvalidArgument naming the config key for per_source or ann_ef_search < 1.
absl::Status ValidateCandidateSearchOptions(const CandidateSearchOptions& options);

// The threads an index build gets under `options.build_threads`.
int CandidateBuildThreads(const CandidateBuildOptions& options);

// The retrieval half of the ranking pipeline for one model bundle: one
// CandidateSource per scorer, built (indexes loaded or built) when the
// bundle is loaded, never per request. Keeps the bundle alive, since the
// sources point into its scorers. Immutable; thread-safe.
class CandidateStage {
 public:
  // Builds the sources when the catalog is larger than
  // options.full_scan_max_items; otherwise the stage is disabled and costs
  // nothing. An embedding model's index comes from <bundle dir>/<model>/
  // when one persisted there matches the model (see MakeAnnCandidateSource).
  // Errors: out-of-range options (naming the config key), an index that
  // fails to build (naming the model). Up to `load_threads` models get
  // their sources at once (the daemon's first load: every core).
  static absl::StatusOr<std::shared_ptr<const CandidateStage>> Build(
      std::shared_ptr<const ModelBundle> bundle, const CandidateBuildOptions& options, int load_threads = 1);

  bool enabled() const { return !sources_.empty(); }
  const CandidateBuildOptions& options() const { return options_; }
  const ModelBundle& bundle() const { return *bundle_; }

  // The source of bundle().scorers()[scorer_index]. REQUIRES: enabled().
  const CandidateSource& source(size_t scorer_index) const { return *sources_[scorer_index]; }

 private:
  CandidateStage(std::shared_ptr<const ModelBundle> bundle, CandidateBuildOptions options)
      : bundle_(std::move(bundle)), options_(options) {}

  std::shared_ptr<const ModelBundle> bundle_;
  CandidateBuildOptions options_;
  std::vector<std::unique_ptr<CandidateSource>> sources_;  // by scorer position
};

}  // namespace recd

#endif  // RECD_RETRIEVAL_CANDIDATE_STAGE_H_
