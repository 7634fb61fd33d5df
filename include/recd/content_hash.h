#ifndef RECD_CONTENT_HASH_H_
#define RECD_CONTENT_HASH_H_

#include <cstddef>
#include <string>

#include "absl/status/statusor.h"

namespace recd {

// Content hashes for tensors (ModelManifest::tensor_checksums) and training
// data (ModelManifest::data_hash): XXH64 with seed 0, as 16 lowercase hex
// digits. This is exactly Python's `xxhash.xxh64(data).hexdigest()`, so
// checksums written by a Python exporter verify in C++ and vice versa.
// Not a cryptographic hash: it detects corruption and stale inputs, not tampering.
std::string HashBytes(const void* data, size_t n);

// HashBytes of the file's whole content, read in chunks. Errors name the path.
absl::StatusOr<std::string> HashFile(const std::string& path);

}  // namespace recd

#endif  // RECD_CONTENT_HASH_H_
