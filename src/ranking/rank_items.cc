#include "ranking/rank_items.h"

#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"

namespace recd {
namespace {

// The dense ids of the known items of `ids`, in order; unknown ids go to
// `unknown`. A repeated id is InvalidArgument naming both positions.
absl::StatusOr<std::vector<int32_t>> KnownDistinct(const std::vector<std::string>& ids, const IdMap& items,
                                                   std::vector<std::string>& unknown) {
  if (ids.empty()) return absl::InvalidArgumentError("item_ids: must not be empty");
  absl::flat_hash_map<std::string_view, size_t> first;
  std::vector<int32_t> known;
  known.reserve(ids.size());
  for (size_t i = 0; i < ids.size(); ++i) {
    auto [it, added] = first.try_emplace(ids[i], i);
    if (!added) {
      return absl::InvalidArgumentError(
          absl::StrCat("item_ids[", i, "]: '", ids[i], "' repeats item_ids[", it->second, "]"));
    }
    if (auto dense = items.Find(ids[i])) {
      known.push_back(*dense);
    } else {
      unknown.push_back(ids[i]);
    }
  }
  return known;
}

}  // namespace

absl::StatusOr<RankItemsAnswer> RankItemsForUser(const RankingContext& context, const RankItemsQuery& query,
                                                 const ScoringOptions& options, UserStateCache* cache) {
  RankItemsAnswer out;
  const IdMap& items = context.bundle->items();
  absl::StatusOr<std::vector<int32_t>> known = KnownDistinct(query.item_ids, items, out.unknown_ids);
  if (!known.ok()) return known.status();
  // Nothing to rank; an empty candidate list would mean the whole catalog.
  if (known->empty()) return out;

  RecommendQuery rank;
  rank.user_id = query.user_id;
  rank.stored_history = query.stored_history;
  rank.recent_item_ids = query.recent_item_ids;
  rank.k = static_cast<int>(known->size());
  rank.explain = query.explain;
  if (query.apply_rules) rank.rules = query.rules;  // else none, not even exclude_purchased
  rank.exclude_seen = query.apply_rules;
  rank.candidates = *known;
  absl::StatusOr<RecommendAnswer> answer = RecommendForUser(context, rank, options, cache);
  if (!answer.ok()) return answer.status();
  out.answer = *std::move(answer);

  if (query.apply_rules) {
    absl::flat_hash_set<int32_t> returned;
    for (const RankedItem& r : out.answer.ranking.items) returned.insert(r.item);
    for (int32_t item : *known) {
      if (!returned.contains(item)) out.filtered_ids.push_back(items.Name(item));
    }
  }
  return out;
}

}  // namespace recd
