#include "ranking/request_rules.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace recd {
namespace {

absl::Status CheckCategory(const CatalogIndex& catalog, const std::string& category, const std::string& field) {
  if (catalog.HasCategory(category)) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown category '", category, "'"));
}

}  // namespace

absl::Status ApplyRules(const RuleSpec& spec, const IdMap& items, std::shared_ptr<const CatalogIndex> catalog,
                        const absl::flat_hash_set<int32_t>* purchased, RankRequest& request,
                        std::vector<std::string>& ignored) {
  if (!spec.category.empty()) {
    if (auto s = CheckCategory(*catalog, spec.category, "category"); !s.ok()) return s;
  }
  for (size_t i = 0; i < spec.allowed_categories.size(); ++i) {
    const std::string field = absl::StrCat("filters.allowed_categories[", i, "]");
    if (auto s = CheckCategory(*catalog, spec.allowed_categories[i], field); !s.ok()) return s;
  }
  for (const std::string& id : spec.exclude_item_ids) {
    if (auto dense = items.Find(id)) {
      request.exclude.push_back(*dense);
    } else {
      ignored.push_back(id);
    }
  }
  if (spec.exclude_purchased && purchased != nullptr) {
    request.exclude.insert(request.exclude.end(), purchased->begin(), purchased->end());
  }
  const bool in_stock_only = spec.in_stock_only;
  const std::vector<std::string> allowed = spec.allowed_categories;
  const std::string context = spec.category;
  if (in_stock_only || !allowed.empty() || !context.empty()) {
    request.allowed = [catalog, in_stock_only, allowed, context](int32_t item) {
      if (in_stock_only && !catalog->in_stock(item)) return false;
      if (!context.empty() && !catalog->InCategory(item, context)) return false;
      return allowed.empty() || std::any_of(allowed.begin(), allowed.end(), [&](const std::string& c) {
               return catalog->InCategory(item, c);
             });
    };
  }
  if (spec.diversity_max_per_category > 0) {
    request.max_per_group = spec.diversity_max_per_category;
    request.group_of = [catalog](int32_t item) { return catalog->group(item); };
  }
  return absl::OkStatus();
}

}  // namespace recd
