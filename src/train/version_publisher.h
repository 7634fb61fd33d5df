#ifndef RECD_TRAIN_VERSION_PUBLISHER_H_
#define RECD_TRAIN_VERSION_PUBLISHER_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace recd {

// Publishes new versions into a bundle root (layout in recd/bundle_versions.h)
// so that a daemon watching the root never sees a partial version and never
// loses the one it serves:
//
//   auto staging = CreateStagingDir(root);   // <root>/.tmp-<N>-<pid>
//   ... write a complete bundle into *staging ...
//   auto n = PublishStagedVersion(root, *staging);   // one rename to <root>/<n>
//   PruneVersions(root, keep);
//
// A published version is never written to again. Stateless; concurrent
// publishers into one root each get their own number (the rename refuses a
// taken name and the next number is tried).

// Creates <root> if needed and a fresh, empty staging directory inside it,
// <root>/.tmp-<N>-<pid> for the version N it expects to become (with a "-<k>"
// suffix if that name exists: another thread's staging dir is never reused).
// Errors name the path.
absl::StatusOr<std::string> CreateStagingDir(const std::string& root);

// Makes the staged bundle durable (fsyncs every file and directory in it),
// renames it to <root>/<newest + 1> in one rename, retrying with the next
// number if another publisher took the name meanwhile, and fsyncs <root> so
// the rename survives a crash. Returns the version number. On failure the
// staging dir is left for inspection and the error names it.
absl::StatusOr<int64_t> PublishStagedVersion(const std::string& root, const std::string& staging);

// Removes the oldest versions until `keep` remain; the newest is never
// removed. Each victim is first renamed to a staging name, so a reader
// listing the root never sees a half-deleted version. REQUIRES: keep >= 1.
absl::Status PruneVersions(const std::string& root, int keep);

}  // namespace recd

#endif  // RECD_TRAIN_VERSION_PUBLISHER_H_
