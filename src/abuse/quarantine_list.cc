#include "abuse/quarantine_list.h"

#include <algorithm>
#include <fstream>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace recd {
namespace {

constexpr size_t kMaxIdLength = 256;  // as the daemon's API allows

}  // namespace

absl::StatusOr<QuarantineList> ReadQuarantineList(const std::string& path, const IdMap& users) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot read the quarantine list"));
  QuarantineList list;
  absl::flat_hash_set<std::string> seen;
  std::string line;
  for (int64_t number = 1; std::getline(in, line); ++number) {
    absl::string_view id = line;
    if (const size_t hash = id.find('#'); hash != absl::string_view::npos) id = id.substr(0, hash);
    id = absl::StripAsciiWhitespace(id);
    if (id.empty()) continue;
    auto error = [&](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", number, ": ", why));
    };
    if (std::any_of(id.begin(), id.end(), [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); })) {
      return error("more than one id on the line (one user id a line)");
    }
    if (id.size() > kMaxIdLength) return error(absl::StrCat("user id longer than ", kMaxIdLength, " bytes"));
    if (!seen.emplace(std::string(id)).second) continue;
    ++list.listed;
    if (std::optional<int32_t> u = users.Find(std::string_view(id.data(), id.size()))) {
      list.users.push_back(*u);
    } else {
      ++list.unknown;
    }
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  std::sort(list.users.begin(), list.users.end());
  return list;
}

}  // namespace recd
