#include "server/new_catalog_items.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "spdlog/spdlog.h"

namespace recd {

absl::StatusOr<std::vector<ItemRecord>> NewCatalogRows(const ModelBundle& trained, const ModelBundle* served,
                                                       FeatureStore& store, int max) {
  std::vector<ItemRecord> rows;
  if (max <= 0) return rows;
  std::vector<ItemRecord> found;  // in the store's order
  absl::flat_hash_map<std::string, size_t> position;
  absl::Status s = store.ForEachItem([&](const ItemRecord& row) -> absl::Status {
    if (trained.items().Find(row.item_id)) return absl::OkStatus();
    position.emplace(row.item_id, found.size());
    found.push_back(row);
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  std::vector<bool> taken(found.size(), false);
  const auto take = [&](size_t i) {
    if (taken[i] || static_cast<int>(rows.size()) >= max) return;
    taken[i] = true;
    rows.push_back(std::move(found[i]));
  };
  if (served != nullptr) {
    for (int32_t id = served->trained_items(); id < served->num_items(); ++id) {
      const auto it = position.find(served->items().Name(id));
      if (it != position.end()) take(it->second);
    }
  }
  for (size_t i = 0; i < found.size(); ++i) take(i);
  if (found.size() > rows.size()) {
    spdlog::warn("catalog: {} items added since the bundle was trained, serving the first {} "
                 "(server.max_new_items); the rest wait for the next bundle",
                 found.size(), rows.size());
  }
  return rows;
}

}  // namespace recd
