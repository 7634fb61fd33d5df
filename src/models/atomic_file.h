#ifndef RECD_MODELS_ATOMIC_FILE_H_
#define RECD_MODELS_ATOMIC_FILE_H_

#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace recd {

// Writes the concatenation of `parts` to `path` so that readers see either the
// old file or the complete new one: the bytes go to `<path>.tmp.<pid>`, which
// is fsynced and renamed over `path`, then the directory is fsynced so the
// rename survives a crash. On failure the temporary file is removed and the
// error names the path. Thread-compatible: concurrent writers of one path
// from one process would share the temporary name.
absl::Status WriteFileAtomically(const std::string& path, std::span<const std::string_view> parts);

}  // namespace recd

#endif  // RECD_MODELS_ATOMIC_FILE_H_
