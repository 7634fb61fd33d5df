#include "train/version_publisher.h"

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <system_error>
#include <vector>

#include "absl/strings/str_cat.h"
#include "recd/bundle_versions.h"
#include "spdlog/spdlog.h"

namespace recd {

namespace fs = std::filesystem;

namespace {

// Attempts at the next free number before giving up: only a root with that
// many publishers racing, or a rename that keeps failing the same way, gets
// there.
constexpr int kMaxPublishAttempts = 100;

absl::Status Fsync(const fs::path& path, bool directory) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | (directory ? O_DIRECTORY : 0));
  if (fd < 0)
    return absl::InternalError(
        absl::StrCat(path.string(), ": cannot open to fsync: ", std::strerror(errno)));
  const int rc = ::fsync(fd);
  const int err = errno;
  ::close(fd);
  if (rc != 0)
    return absl::InternalError(absl::StrCat(path.string(), ": fsync failed: ", std::strerror(err)));
  return absl::OkStatus();
}

// Files first, then each directory, so that after a crash the renamed
// version holds the data its names point to.
absl::Status FsyncTree(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> dirs = {dir};
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      dirs.push_back(it->path());
    } else if (it->is_regular_file(type_ec)) {
      if (absl::Status s = Fsync(it->path(), false); !s.ok()) return s;
    }
  }
  if (ec) return absl::InternalError(absl::StrCat(dir.string(), ": cannot list: ", ec.message()));
  for (auto d = dirs.rbegin(); d != dirs.rend(); ++d) {
    if (absl::Status s = Fsync(*d, true); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> NextVersion(const std::string& root) {
  auto versions = ListBundleVersions(root);
  if (!versions.ok()) return versions.status();
  return versions->empty() ? 1 : versions->back().number + 1;
}

// rename(2) that fails with EEXIST instead of replacing an existing target.
// Plain rename already refuses a non-empty directory; NOREPLACE also keeps
// an empty one someone created by hand.
int RenameNoReplace(const fs::path& from, const fs::path& to) {
  if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;  // EINVAL: the fs has no NOREPLACE
  return ::rename(from.c_str(), to.c_str());
}

}  // namespace

absl::StatusOr<std::string> CreateStagingDir(const std::string& root) {
  std::error_code ec;
  fs::create_directories(root, ec);
  if (ec)
    return absl::InternalError(absl::StrCat(root, ": cannot create bundle root: ", ec.message()));
  auto next = NextVersion(root);
  if (!next.ok()) return next.status();
  // An existing dir of that name is never reused or removed: it may be
  // another thread's staging dir (or a crashed run's, left for inspection).
  const std::string base = absl::StrCat(".tmp-", *next, "-", ::getpid());
  for (int k = 0; k < kMaxPublishAttempts; ++k) {
    const fs::path staging = fs::path(root) / (k == 0 ? base : absl::StrCat(base, "-", k));
    if (fs::create_directory(staging, ec)) return staging.string();
    if (ec)
      return absl::InternalError(absl::StrCat(staging.string(), ": cannot create: ", ec.message()));
  }
  return absl::AlreadyExistsError(absl::StrCat(root, "/", base, ": staging names taken"));
}

absl::StatusOr<int64_t> PublishStagedVersion(const std::string& root, const std::string& staging) {
  if (absl::Status s = FsyncTree(staging); !s.ok()) return s;
  for (int attempt = 0; attempt < kMaxPublishAttempts; ++attempt) {
    auto next = NextVersion(root);
    if (!next.ok()) return next.status();
    const fs::path target = fs::path(root) / std::to_string(*next);
    if (RenameNoReplace(staging, target) == 0) {
      if (absl::Status s = Fsync(root, true); !s.ok()) return s;
      return *next;
    }
    const int err = errno;
    if (err != EEXIST && err != ENOTEMPTY) {
      return absl::InternalError(absl::StrCat("cannot rename ", staging, " to ", target.string(),
                                              ": ", std::strerror(err)));
    }
    spdlog::info("{} was taken by another publisher; trying the next number", target.string());
  }
  return absl::AbortedError(absl::StrCat("cannot publish ", staging, " into ", root,
                                         ": every version number tried (", kMaxPublishAttempts,
                                         ") was taken meanwhile"));
}

absl::Status PruneVersions(const std::string& root, int keep) {
  if (keep < 1)
    return absl::InvalidArgumentError(absl::StrCat("keep versions is ", keep, ", expected >= 1"));
  auto versions = ListBundleVersions(root);
  if (!versions.ok()) return versions.status();
  const auto excess = static_cast<int64_t>(versions->size()) - keep;
  for (int64_t i = 0; i < excess; ++i) {
    const BundleVersion& v = (*versions)[i];
    const fs::path doomed = fs::path(root) / absl::StrCat(".tmp-prune-", v.number, "-", ::getpid());
    std::error_code ec;
    fs::rename(v.dir, doomed, ec);
    if (ec) return absl::InternalError(absl::StrCat("cannot prune ", v.dir, ": ", ec.message()));
    fs::remove_all(doomed, ec);
    if (ec)
      return absl::InternalError(
          absl::StrCat("cannot remove ", doomed.string(), ": ", ec.message()));
    spdlog::info("pruned bundle version {}", v.dir);
  }
  return absl::OkStatus();
}

}  // namespace recd
