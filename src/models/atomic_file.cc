#include "models/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"

namespace recd {
namespace {

absl::Status ErrnoError(const std::string& path, const char* what, int err) {
  return absl::InternalError(absl::StrCat(path, ": ", what, " failed: ", std::strerror(err)));
}

absl::Status WriteAll(int fd, const std::string& path, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(path, "write", errno);
    }
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status WriteAndSync(const std::string& tmp, std::span<const std::string_view> parts) {
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError(tmp, "open for writing", errno);
  absl::Status status;
  for (std::string_view part : parts) {
    status = WriteAll(fd, tmp, part);
    if (!status.ok()) break;
  }
  if (status.ok() && ::fsync(fd) != 0) status = ErrnoError(tmp, "fsync", errno);
  if (::close(fd) != 0 && status.ok()) status = ErrnoError(tmp, "close", errno);
  return status;
}

// Best effort: without it the rename may be lost in a crash, but the data
// itself is already safe, so a failure here is not worth failing the write.
void SyncParentDir(const std::string& path) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? std::string(".") : parent.string();
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

absl::Status WriteFileAtomically(const std::string& path, std::span<const std::string_view> parts) {
  const std::string tmp = absl::StrCat(path, ".tmp.", ::getpid());
  absl::Status status = WriteAndSync(tmp, parts);
  if (status.ok() && std::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoError(path, "rename from temporary file", errno);
  }
  if (!status.ok()) {
    ::unlink(tmp.c_str());
    return status;
  }
  SyncParentDir(path);
  return absl::OkStatus();
}

}  // namespace recd
