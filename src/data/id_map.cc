#include "recd/id_map.h"

#include <fstream>

#include "absl/strings/str_cat.h"

namespace recd {

int32_t IdMap::GetOrAdd(std::string_view name) {
  auto [it, inserted] = ids_.try_emplace(std::string(name), static_cast<int32_t>(names_.size()));
  if (inserted) names_.emplace_back(name);
  return it->second;
}

std::optional<int32_t> IdMap::Find(std::string_view name) const {
  auto it = ids_.find(absl::string_view(name.data(), name.size()));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

absl::Status IdMap::Save(const std::string& path) const {
  std::ofstream out(path, std::ios::trunc);
  if (!out) return absl::InternalError(absl::StrCat(path, ": cannot open for writing"));
  for (const auto& n : names_) out << n << '\n';
  out.flush();
  if (!out) return absl::InternalError(absl::StrCat(path, ": write failed"));
  return absl::OkStatus();
}

absl::StatusOr<IdMap> IdMap::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  IdMap map;
  std::string line;
  int64_t line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty()) {
      return absl::DataLossError(absl::StrCat(path, ":", line_no, ": empty id"));
    }
    if (map.Find(line)) {
      return absl::DataLossError(absl::StrCat(path, ":", line_no, ": duplicate id '", line, "'"));
    }
    map.GetOrAdd(line);
  }
  return map;
}

}  // namespace recd
