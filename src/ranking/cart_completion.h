#ifndef RECD_RANKING_CART_COMPLETION_H_
#define RECD_RANKING_CART_COMPLETION_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/recommend.h"

namespace recd {

// "What completes this cart", free of any wire format.
struct CartQuery {
  std::string user_id;                         // "" = anonymous cart
  std::span<const StoredEvent> stored_history;  // the user's, oldest first; empty without a user
  // The cart, in the order items were added. A repeated id (two of one
  // item) counts once.
  std::vector<std::string> cart_item_ids;
  int k = 10;
  bool explain = false;
  RuleSpec rules;
  // Leave out items in the leaf category of a cart item: substitutes
  // (another phone for the phone in the cart), which co-occurrence and
  // transitions find as readily as complements, since shoppers compare
  // within a category before they buy. Items without a category stay.
  bool leave_out_substitutes = true;
};

// Ranks complements of the cart: the cart's items, as cart events after the
// user's stored history, are the history every model scores from, blended
// with the fusion profile the config names for carts
// (FusionConfig::cart_profile: transitions and co-occurrence over content
// similarity). The cart's items never come back, nor (with
// leave_out_substitutes) items of their categories; the user's history is left
// out as context.exclude_seen says. Cart ids the catalog does not know are
// ignored and reported (answer.ignored_ids); NotFound naming the field when
// none is known. States extend the user's cached ones for this request
// alone (`cache` may be null).
absl::StatusOr<RecommendAnswer> CompleteCartForUser(const RankingContext& context, const CartQuery& query,
                                                    const ScoringOptions& options, UserStateCache* cache);

}  // namespace recd

#endif  // RECD_RANKING_CART_COMPLETION_H_
