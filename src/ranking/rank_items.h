#ifndef RECD_RANKING_RANK_ITEMS_H_
#define RECD_RANKING_RANK_ITEMS_H_

#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/recommend.h"

namespace recd {

// "Order these items for this user" (search hits, a category page), free
// of any wire format.
struct RankItemsQuery {
  std::string user_id;
  std::span<const StoredEvent> stored_history;   // from the feature store, oldest first
  std::vector<std::string> recent_item_ids;      // session context, oldest first
  // The items to rank: distinct ids (a repeat is an error naming it).
  std::vector<std::string> item_ids;
  // Business rules (`rules`, and the config's exclude_seen through the
  // context) apply only when set; else every known item comes back.
  bool apply_rules = false;
  RuleSpec rules;
  bool explain = false;
};

struct RankItemsAnswer {
  // Its ranking holds the known items of query.item_ids, best first, each
  // scored by the fused models exactly as a whole-catalog ranking of the
  // user scores it; ignored_ids: unknown session or exclusion ids.
  RecommendAnswer answer;
  // Ids of query.item_ids the catalog does not know, in request order. They
  // are dropped: no model can score them, and a made-up score or position
  // would read as a judgement.
  std::vector<std::string> unknown_ids;
  // With apply_rules: known ids the rules left out, in request order.
  std::vector<std::string> filtered_ids;
};

// Ranks query.item_ids for the user through the ranking pipeline with the
// caller's list as the candidate set (no candidate stage); states from and
// to `cache` as RecommendForUser (may be null). InvalidArgument naming the
// field for an empty list or a repeated id; a list with no known id is
// answered with no items (and every id in unknown_ids) without ranking.
absl::StatusOr<RankItemsAnswer> RankItemsForUser(const RankingContext& context, const RankItemsQuery& query,
                                                 const ScoringOptions& options, UserStateCache* cache);

}  // namespace recd

#endif  // RECD_RANKING_RANK_ITEMS_H_
