#ifndef RECD_ID_MAP_H_
#define RECD_ID_MAP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace recd {

// Maps external string ids (what callers and data files use) to dense
// integers 0..size()-1 (what models index with), and back.
// Not thread-safe for writers; concurrent const use is safe.
class IdMap {
 public:
  IdMap() = default;

  // Returns the dense id of `name`, adding it if new.
  int32_t GetOrAdd(std::string_view name);
  // Returns the dense id of `name`, or nullopt if it was never added.
  std::optional<int32_t> Find(std::string_view name) const;
  // REQUIRES: 0 <= id < size().
  const std::string& Name(int32_t id) const { return names_[id]; }
  int32_t size() const { return static_cast<int32_t>(names_.size()); }
  const std::vector<std::string>& names() const { return names_; }

  // One name per line, line i holding dense id i.
  absl::Status Save(const std::string& path) const;
  static absl::StatusOr<IdMap> Load(const std::string& path);

 private:
  std::vector<std::string> names_;
  absl::flat_hash_map<std::string, int32_t> ids_;
};

}  // namespace recd

#endif  // RECD_ID_MAP_H_
