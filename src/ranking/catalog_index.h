#ifndef RECD_RANKING_CATALOG_INDEX_H_
#define RECD_RANKING_CATALOG_INDEX_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "recd/feature_store.h"
#include "recd/id_map.h"

namespace recd {

// Catalog facts the business rules need, indexed by the dense item ids of one
// model bundle: stock, category path, a category group for diversity.
// Built from the feature store when a bundle is loaded. Thread-safe. Stock is
// the one live fact: SetInStock changes it in place (an atomic per item), so
// a stock change reaches every request at once without a reload; the rest is
// immutable.
class CatalogIndex {
 public:
  // Items of `items` without a catalog row count as in stock with no category.
  static absl::StatusOr<CatalogIndex> Build(const IdMap& items, FeatureStore& store);

  bool in_stock(int32_t item) const { return in_stock_[static_cast<size_t>(item)].load(std::memory_order_relaxed); }
  void SetInStock(int32_t item, bool in_stock) const {
    in_stock_[static_cast<size_t>(item)].store(in_stock, std::memory_order_relaxed);
  }
  // "/"-joined category path, "" when unknown.
  const std::string& category(int32_t item) const { return category_[static_cast<size_t>(item)]; }
  // Dense id of the item's category path; items without one share group 0.
  int32_t group(int32_t item) const { return group_[static_cast<size_t>(item)]; }
  // True if the item's category path equals `prefix` or starts with `prefix/`.
  bool InCategory(int32_t item, std::string_view prefix) const;
  // True if some item's category path equals `prefix` or lies below it.
  bool HasCategory(std::string_view prefix) const { return prefixes_.contains(absl::string_view(prefix.data(), prefix.size())); }
  int32_t size() const { return static_cast<int32_t>(category_.size()); }
  int64_t items_with_rows() const { return items_with_rows_; }

 private:
  std::unique_ptr<std::atomic<bool>[]> in_stock_;  // mutable through SetInStock
  std::vector<std::string> category_;
  std::vector<int32_t> group_;
  absl::flat_hash_set<std::string> prefixes_;  // every path and its ancestors
  int64_t items_with_rows_ = 0;
};

}  // namespace recd

#endif  // RECD_RANKING_CATALOG_INDEX_H_
