#include "ranking/catalog_index.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_join.h"

namespace recd {

absl::StatusOr<CatalogIndex> CatalogIndex::Build(const IdMap& items, FeatureStore& store) {
  CatalogIndex index;
  const auto n = static_cast<size_t>(items.size());
  index.in_stock_ = std::make_unique<std::atomic<bool>[]>(n);
  for (size_t i = 0; i < n; ++i) index.in_stock_[i].store(true, std::memory_order_relaxed);
  index.category_.assign(n, "");
  index.group_.assign(n, 0);
  absl::flat_hash_map<std::string, int32_t> groups;
  groups[""] = 0;
  absl::Status s = store.ForEachItem([&](const ItemRecord& row) -> absl::Status {
    auto id = items.Find(row.item_id);
    if (!id) return absl::OkStatus();  // in the catalog, unknown to these models
    const auto i = static_cast<size_t>(*id);
    index.in_stock_[i].store(row.info.in_stock, std::memory_order_relaxed);
    index.category_[i] = absl::StrJoin(row.info.category_path, "/");
    std::string prefix;
    for (const std::string& part : row.info.category_path) {
      if (!prefix.empty()) prefix += '/';
      prefix += part;
      index.prefixes_.insert(prefix);
    }
    index.group_[i] = groups.try_emplace(index.category_[i], static_cast<int32_t>(groups.size())).first->second;
    ++index.items_with_rows_;
    return absl::OkStatus();
  });
  if (!s.ok()) return s;
  return index;
}

bool CatalogIndex::InCategory(int32_t item, std::string_view prefix) const {
  const std::string& c = category_[static_cast<size_t>(item)];
  if (prefix.empty()) return true;
  if (c.size() < prefix.size() || c.compare(0, prefix.size(), prefix) != 0) return false;
  return c.size() == prefix.size() || c[prefix.size()] == '/';
}

}  // namespace recd
