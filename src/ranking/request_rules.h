#ifndef RECD_RANKING_REQUEST_RULES_H_
#define RECD_RANKING_REQUEST_RULES_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "ranking/catalog_index.h"
#include "ranking/ranking_pipeline.h"
#include "recd/id_map.h"

namespace recd {

// The business rules of one request as the caller states them, in external
// ids: what to leave out, stock, categories, diversity. A value type.
struct RuleSpec {
  std::vector<std::string> exclude_item_ids;
  bool exclude_purchased = false;
  bool in_stock_only = false;
  std::vector<std::string> allowed_categories;  // "/"-separated path prefixes; empty = any
  std::string category;                         // context category; "" = none
  int diversity_max_per_category = 0;           // 0 = no cap
};

// Turns `spec` into `request`'s exclusions, `allowed` predicate and
// diversity cap over the items of `items`, with catalog facts from
// `catalog` (indexed like `items`). `purchased`: the user's purchased items,
// left out when spec.exclude_purchased; may be null. Exclusion ids the
// catalog does not know are appended to `ignored`. A category no catalog
// item lies in is InvalidArgument naming it ("category: unknown category
// 'x'", "filters.allowed_categories[1]: ..."), so a typo is not answered
// with an empty list.
absl::Status ApplyRules(const RuleSpec& spec, const IdMap& items, std::shared_ptr<const CatalogIndex> catalog,
                        const absl::flat_hash_set<int32_t>* purchased, RankRequest& request,
                        std::vector<std::string>& ignored);

}  // namespace recd

#endif  // RECD_RANKING_REQUEST_RULES_H_
