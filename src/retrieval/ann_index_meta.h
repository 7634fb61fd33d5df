#ifndef RECD_RETRIEVAL_ANN_INDEX_META_H_
#define RECD_RETRIEVAL_ANN_INDEX_META_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace recd {

inline constexpr int kAnnIndexFormatVersion = 1;

// ann.json, the description of a persisted AnnIndex that sits beside the
// graph file hnswlib writes (ann.hnsw). hnswlib's own file records the
// graph but not what our wrapper adds (the bias and norm-padding
// coordinates, the query width) nor what the graph was built from, so this
// holds both, plus the graph file's size and checksum: a loader can then
// tell a stale index (other vectors) from a corrupt one, and never hands
// hnswlib a file it did not write. A value type.
struct AnnIndexMeta {
  int format_version = kAnnIndexFormatVersion;
  int64_t items = 0;            // rows indexed
  int dim = 0;                  // query length (the item vectors' width)
  bool has_bias = false;        // one stored coordinate more: the bias
  bool equalize_norms = false;  // one stored coordinate more: the norm padding
  int m = 0;                    // how the graph was built, for the record
  int ef_construction = 0;
  uint64_t seed = 0;
  std::string items_checksum;  // HashBytes of the row-major item vectors
  std::string bias_checksum;   // HashBytes of the bias; empty without one
  int64_t graph_bytes = 0;     // size of ann.hnsw
  std::string graph_checksum;  // HashFile of ann.hnsw
};

// Writes `meta` as JSON to `path`, atomically (see WriteFileAtomically).
absl::Status WriteAnnIndexMeta(const std::string& path, const AnnIndexMeta& meta);

// Reads what WriteAnnIndexMeta wrote. NotFound when `path` does not exist;
// DataLoss naming the path and field for anything that does not parse, and
// FailedPrecondition for a format_version newer than this reader's.
absl::StatusOr<AnnIndexMeta> ReadAnnIndexMeta(const std::string& path);

}  // namespace recd

#endif  // RECD_RETRIEVAL_ANN_INDEX_META_H_
