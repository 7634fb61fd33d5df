#include "recd/bundle_versions.h"

#include <algorithm>
#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"

namespace recd {

namespace fs = std::filesystem;

namespace {

// Only canonical decimal names count, so "1" and "01" cannot both claim
// version 1 and staging names (".tmp-3-99") are never mistaken for versions.
bool ParseVersionName(const std::string& name, int64_t* number) {
  if (name.empty() || name.size() > 18) return false;
  if (!std::all_of(name.begin(), name.end(), [](char c) { return absl::ascii_isdigit(c); })) {
    return false;
  }
  if (name.size() > 1 && name[0] == '0') return false;
  return absl::SimpleAtoi(name, number);
}

void AppendFileStamps(const fs::path& dir, std::string& out) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec);
       !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    std::error_code size_ec, time_ec;
    const auto size = fs::file_size(f, size_ec);
    const auto mtime = fs::last_write_time(f, time_ec);
    absl::StrAppend(&out, f.lexically_relative(dir).string(), ":", size_ec ? 0 : size, ":",
                    time_ec ? 0 : mtime.time_since_epoch().count(), ";");
  }
}

}  // namespace

absl::StatusOr<std::vector<BundleVersion>> ListBundleVersions(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return absl::NotFoundError(absl::StrCat(root, ": bundle root is missing or not a directory"));
  }
  std::vector<BundleVersion> versions;
  for (auto it = fs::directory_iterator(root, ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    int64_t number = 0;
    std::error_code dir_ec;
    if (ParseVersionName(it->path().filename().string(), &number) && it->is_directory(dir_ec)) {
      versions.push_back({number, it->path().string()});
    }
  }
  if (ec) return absl::InternalError(absl::StrCat(root, ": cannot list: ", ec.message()));
  std::sort(versions.begin(), versions.end(),
            [](const BundleVersion& a, const BundleVersion& b) { return a.number < b.number; });
  return versions;
}

bool HoldsBundleDirectly(const std::string& dir) {
  std::error_code ec;
  return fs::exists(fs::path(dir) / "items.txt", ec);
}

absl::StatusOr<ServableVersion> NewestServableVersion(const std::string& root,
                                                      std::shared_ptr<const ModelBundle> current, int load_threads) {
  if (HoldsBundleDirectly(root)) {
    return absl::FailedPreconditionError(
        absl::StrCat(root,
                     ": holds a bundle directly; models.path must be a directory of numbered "
                     "versions (move it to ",
                     root, "/1)"));
  }
  auto versions = ListBundleVersions(root);
  if (!versions.ok()) return versions.status();
  if (versions->empty()) {
    return absl::NotFoundError(absl::StrCat(root, ": no numbered version directories (expected ",
                                            root, "/1/items.txt, written by recd-train --out ",
                                            root, ")"));
  }
  ServableVersion out;
  absl::Status newest_error;
  for (auto v = versions->rbegin(); v != versions->rend(); ++v) {
    if (current != nullptr && current->dir() == v->dir) {
      out.version = *v;
      out.bundle = std::move(current);
      return out;
    }
    auto bundle = ModelBundle::Load(v->dir, load_threads);
    if (bundle.ok()) {
      out.version = *v;
      out.bundle = *std::move(bundle);
      return out;
    }
    if (newest_error.ok()) newest_error = bundle.status();
    out.skipped.push_back(absl::StrCat(v->dir, ": ", bundle.status().message()));
    spdlog::error("bundle version {} is not servable, trying an older one: {}", v->dir,
                  std::string(bundle.status().message()));
  }
  return absl::Status(newest_error.code(),
                      absl::StrCat(root, ": no version loads: ", absl::StrJoin(out.skipped, "; ")));
}

absl::StatusOr<ServableVersion> SelectServableVersion(
    const std::string& root, int64_t number, const std::vector<std::shared_ptr<const ModelBundle>>& loaded,
    int load_threads) {
  auto loaded_from = [&loaded](const std::string& dir) -> std::shared_ptr<const ModelBundle> {
    for (const auto& bundle : loaded) {
      if (bundle != nullptr && bundle->dir() == dir) return bundle;
    }
    return nullptr;
  };
  auto versions = ListBundleVersions(root);
  if (!versions.ok()) return versions.status();
  if (number == 0) {
    std::shared_ptr<const ModelBundle> current = versions->empty() ? nullptr : loaded_from(versions->back().dir);
    if (current == nullptr && !loaded.empty()) current = loaded.front();
    return NewestServableVersion(root, std::move(current), load_threads);
  }
  auto it = std::find_if(versions->begin(), versions->end(), [number](const BundleVersion& v) { return v.number == number; });
  if (it == versions->end()) {
    return absl::NotFoundError(absl::StrCat(root, "/", number, ": no such version directory"));
  }
  ServableVersion out;
  out.version = *it;
  out.bundle = loaded_from(it->dir);
  if (out.bundle != nullptr) return out;
  auto bundle = ModelBundle::Load(it->dir, load_threads);
  if (!bundle.ok()) return bundle.status();
  out.bundle = *std::move(bundle);
  return out;
}

std::string BundleRootStamp(const std::string& root) {
  auto versions = ListBundleVersions(root);
  if (!versions.ok()) return "";
  std::string out = "versions:";
  for (const BundleVersion& v : *versions) absl::StrAppend(&out, v.number, ",");
  if (!versions->empty()) {
    absl::StrAppend(&out, " newest:");
    AppendFileStamps(versions->back().dir, out);
  }
  return out;
}

absl::StatusOr<std::shared_ptr<const ModelBundle>> LoadBundleOrNewestVersion(
    const std::string& path) {
  if (HoldsBundleDirectly(path)) return ModelBundle::Load(path);
  auto servable = NewestServableVersion(path);
  if (!servable.ok()) return servable.status();
  return servable->bundle;
}

}  // namespace recd
