#ifndef RECD_RANKING_RECOMMEND_H_
#define RECD_RANKING_RECOMMEND_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/catalog_index.h"
#include "ranking/item_similarity.h"
#include "ranking/ranking_pipeline.h"
#include "ranking/request_rules.h"
#include "ranking/user_state_cache.h"
#include "recd/feature_store.h"
#include "recd/model_bundle.h"

namespace recd {

// What one request ranks with: a serving snapshot's bundle, pipeline and
// catalog facts, and the config's rule defaults. Borrowed for one call.
struct RankingContext {
  std::shared_ptr<const ModelBundle> bundle;
  const RankingPipeline* pipeline = nullptr;
  std::shared_ptr<const CatalogIndex> catalog;
  const ItemSimilarity* similarity = nullptr;  // may be null: reasons name no history item
  bool exclude_seen = true;
  int max_rule_scan_items = 20000;
  // Fused items kept per cached user (the result cache); 0 = none kept.
  int result_cache_items = 0;
  // Look states up in the cache but keep nothing there: a shadow ranking
  // must not displace the live entries.
  bool cache_read_only = false;
  // Generation of the live item statistics in the bundle's models (0 =
  // none), and the oldest a cached top list may have been ranked on.
  uint64_t live_generation = 0;
  uint64_t min_live_generation = 0;
};

// "Recommend for this user", free of any wire format.
struct RecommendQuery {
  std::string user_id;
  std::span<const StoredEvent> stored_history;   // from the feature store, oldest first
  std::vector<std::string> recent_item_ids;      // session context, oldest first
  // What the session items are to the models: views (RecommendItems), or
  // items put in the cart (CompleteCart).
  EventType recent_event_type = EventType::kView;
  int k = 10;
  bool explain = false;
  RuleSpec rules;
  // Leave out the user's history (context.exclude_seen); false: history
  // items may come back (RankItems without rules ranks every given item).
  bool exclude_seen = true;
  // Dense ids to rank (RankItems' list, on the catalog's scale); empty =
  // the catalog. Neither result cache serves nor keeps such a request.
  std::vector<int32_t> candidates;
  std::vector<int32_t> exclude;  // dense ids left out whatever the rules
  // Items for which this is false never come back, beside `rules` (a
  // caller's own rule over dense ids); unset = all allowed.
  std::function<bool(int32_t item)> allowed;
  // Fusion profile to blend with (FusionConfig::profiles); "" = the
  // weights for the history's length. Result cache off, as for candidates.
  std::string profile;
};

struct RecommendAnswer {
  RankingResult ranking;
  std::vector<std::string> reasons;      // with explain: one per ranked item
  std::vector<std::string> ignored_ids;  // request ids the catalog does not know
  // Whether the user's model states came from `cache` (unset: not looked up,
  // e.g. session items made the history differ from the stored one).
  std::optional<bool> state_cache_hit;
  // Whether the answer was read from the user's cached top list (unset: no
  // list was looked up).
  std::optional<bool> result_cache_hit;
};

// Ranks for a user: their stored history plus the session items, rules
// from `query.rules`, states from `cache` (extended by the session items
// for this request alone; fresh states of the stored history kept there). With context.result_cache_items, the
// fused top list is kept there too, and a request it can answer costs its
// rules and top k only. `cache` may be null.
absl::StatusOr<RecommendAnswer> RecommendForUser(const RankingContext& context, const RecommendQuery& query,
                                                 const ScoringOptions& options, UserStateCache* cache);

// "Shoppers who looked at this item": every model scores the item as a
// one-event history, and co-occurrence, content and embedding neighbours are
// fused by the profile fusion.similar_profile names.
// REQUIRES: `item` is a dense id of context.bundle.
absl::StatusOr<RecommendAnswer> RecommendSimilar(const RankingContext& context, int32_t item, int k, bool explain,
                                                 const RuleSpec& rules, const ScoringOptions& options);

// Fills answer.reasons, one per ranked item, naming the item of `history`
// each is most like (none when `history` is empty).
void ExplainAnswer(const RankingContext& context, std::span<const Event> history, RecommendAnswer& answer);

// A user's history in the dense ids of one bundle; events on items the
// models do not know are skipped (they cannot be scored from).
struct DenseHistory {
  std::vector<Event> events;
  absl::flat_hash_set<int32_t> purchased;
};
DenseHistory ToDenseHistory(std::span<const StoredEvent> stored, const IdMap& items);

}  // namespace recd

#endif  // RECD_RANKING_RECOMMEND_H_
