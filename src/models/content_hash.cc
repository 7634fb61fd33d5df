#include "recd/content_hash.h"

#include <xxhash.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace recd {
namespace {

// Python's hexdigest() zero-pads to 16 digits; so must we.
std::string Hex(XXH64_hash_t h) {
  return absl::StrFormat("%016x", static_cast<unsigned long long>(h));
}

}  // namespace

std::string HashBytes(const void* data, size_t n) { return Hex(XXH64(data, n, /*seed=*/0)); }

absl::StatusOr<std::string> HashFile(const std::string& path) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) {
    const int err = errno;
    const std::string msg = absl::StrCat(path, ": cannot open: ", std::strerror(err));
    return err == ENOENT ? absl::NotFoundError(msg) : absl::InternalError(msg);
  }
  std::unique_ptr<XXH64_state_t, XXH_errorcode (*)(XXH64_state_t*)> state(XXH64_createState(),
                                                                          &XXH64_freeState);
  if (!state || XXH64_reset(state.get(), /*seed=*/0) != XXH_OK) {
    return absl::InternalError(absl::StrCat(path, ": cannot initialise the hash"));
  }
  std::vector<char> buf(1 << 20);
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), f.get())) > 0) {
    XXH64_update(state.get(), buf.data(), n);
  }
  if (std::ferror(f.get())) return absl::InternalError(absl::StrCat(path, ": read failed"));
  return Hex(XXH64_digest(state.get()));
}

}  // namespace recd
