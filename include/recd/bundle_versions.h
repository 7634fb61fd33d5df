#ifndef RECD_BUNDLE_VERSIONS_H_
#define RECD_BUNDLE_VERSIONS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/model_bundle.h"

namespace recd {

// A bundle root holds numbered version directories, as TF Serving's model
// base paths do:
//
//   <root>/1/   items.txt, fusion.yaml, <model>/...   a complete ModelBundle
//   <root>/2/   ...
//   <root>/.tmp-3-1234/   a publisher's staging dir: ignored until renamed
//
// A version directory is written once, by a publisher that builds it under a
// staging name and renames it into place, and never modified afterwards; so
// a reader that sees the name sees the whole version. The daemon serves the
// newest version that loads. These functions only read the file system and
// are thread-safe.

// One numbered directory of a root.
struct BundleVersion {
  int64_t number = 0;
  std::string dir;  // <root>/<number>
};

// The numbered subdirectories of `root`, oldest first. Names that are not a
// plain decimal number ("latest", ".tmp-3-99", "01") are ignored. Errors name
// the root: NotFoundError when it is missing or not a directory.
absl::StatusOr<std::vector<BundleVersion>> ListBundleVersions(const std::string& root);

// True when `dir` holds a bundle itself (items.txt at its top level) rather
// than numbered versions.
bool HoldsBundleDirectly(const std::string& dir);

// The outcome of NewestServableVersion.
struct ServableVersion {
  BundleVersion version;
  std::shared_ptr<const ModelBundle> bundle;
  // One line per newer version that failed to load and was passed over:
  // "<dir>: <why>". Empty when the newest version loaded.
  std::vector<std::string> skipped;
};

// Loads the newest version of `root` that loads, falling back to older ones
// (each skip is logged with its reason). A version whose directory is that of
// `current` is not read again: `current` is returned for it, since a version
// is never modified once published. Errors name the root:
// FailedPreconditionError for a root that holds a bundle directly (the
// pre-versions layout; the message says to move it to <root>/1),
// NotFoundError for a root without versions, and when no version loads, the
// newest version's error with every version's reason. `load_threads`: see
// ModelBundle::Load.
absl::StatusOr<ServableVersion> NewestServableVersion(
    const std::string& root, std::shared_ptr<const ModelBundle> current = nullptr, int load_threads = 1);

// Version `number` of `root`, or for number 0 its newest servable version.
// A bundle of `loaded` (null entries allowed) whose directory is the chosen
// version's is returned rather than read again; with number 0 the first of
// `loaded` is NewestServableVersion's `current`. Errors name the version
// directory (NotFoundError when it does not exist).
absl::StatusOr<ServableVersion> SelectServableVersion(
    const std::string& root, int64_t number, const std::vector<std::shared_ptr<const ModelBundle>>& loaded,
    int load_threads = 1);

// A cheap stamp of `root` for a watcher: the version names plus the names,
// sizes and mtimes of the newest version's files. It changes when a version
// appears or is removed, and also while a version directory that was copied
// in non-atomically (cp -r) is still filling, so the watcher retries it once
// the copy is complete. Reads no file contents; "" for an unreadable root.
std::string BundleRootStamp(const std::string& root);

// For the offline tools (recd-eval, benchmarks): `path` is either one version
// directory (a bundle) or a bundle root, whose newest servable version is
// loaded.
absl::StatusOr<std::shared_ptr<const ModelBundle>> LoadBundleOrNewestVersion(
    const std::string& path);

}  // namespace recd

#endif  // RECD_BUNDLE_VERSIONS_H_
