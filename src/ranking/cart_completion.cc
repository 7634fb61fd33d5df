#include "ranking/cart_completion.h"

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace recd {

absl::StatusOr<RecommendAnswer> CompleteCartForUser(const RankingContext& context, const CartQuery& query,
                                                    const ScoringOptions& options, UserStateCache* cache) {
  if (query.cart_item_ids.empty()) return absl::InvalidArgumentError("item_ids: the cart must not be empty");
  const FusionConfig& fusion = context.pipeline->fusion();
  if (fusion.Profile(fusion.cart_profile) == nullptr) {
    // Validated with the config; a hand-made fusion config can still lack it.
    return absl::FailedPreconditionError(
        absl::StrCat("fusion.cart_profile: no profile named '", fusion.cart_profile, "'"));
  }
  const IdMap& items = context.bundle->items();
  RecommendQuery rank;
  std::vector<std::string> unknown;
  absl::flat_hash_set<int32_t> in_cart;
  for (const std::string& id : query.cart_item_ids) {
    auto dense = items.Find(id);
    if (!dense) {
      unknown.push_back(id);
    } else if (in_cart.insert(*dense).second) {
      rank.recent_item_ids.push_back(id);
      rank.exclude.push_back(*dense);
    }
  }
  if (in_cart.empty()) {
    return absl::NotFoundError(absl::StrCat("item_ids: no item of the cart is in the catalog (first: '",
                                            query.cart_item_ids.front(), "')"));
  }
  rank.user_id = query.user_id;
  rank.stored_history = query.stored_history;
  rank.recent_event_type = EventType::kCart;
  rank.k = query.k;
  rank.explain = query.explain;
  rank.rules = query.rules;
  rank.profile = fusion.cart_profile;
  if (query.leave_out_substitutes && context.catalog != nullptr) {
    // Group 0 is "no category": such items are nobody's substitutes.
    absl::flat_hash_set<int32_t> groups;
    for (int32_t item : in_cart) {
      if (context.catalog->group(item) != 0) groups.insert(context.catalog->group(item));
    }
    if (!groups.empty()) {
      rank.allowed = [catalog = context.catalog, groups = std::move(groups)](int32_t item) {
        return !groups.contains(catalog->group(item));
      };
    }
  }
  absl::StatusOr<RecommendAnswer> answer = RecommendForUser(context, rank, options, cache);
  if (!answer.ok()) return answer.status();
  answer->ignored_ids.insert(answer->ignored_ids.begin(), unknown.begin(), unknown.end());
  return answer;
}

}  // namespace recd
