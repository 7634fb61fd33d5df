#include "ranking/recommend.h"

#include "absl/time/clock.h"
#include "ranking/explanation.h"

namespace recd {
namespace {

// True if the ranking encoded a state the cache did not have.
bool EncodedAnyState(const UserStateCache::States& given, const UserStateCache::States& used) {
  for (size_t i = 0; i < used.size(); ++i) {
    if (used[i] != nullptr && (i >= given.size() || given[i] == nullptr)) return true;
  }
  return false;
}

}  // namespace

void ExplainAnswer(const RankingContext& context, std::span<const Event> history, RecommendAnswer& answer) {
  for (const RankedItem& item : answer.ranking.items) {
    answer.reasons.push_back(
        ExplainReason(item, answer.ranking, context.bundle->items(), context.similarity, history));
  }
}

DenseHistory ToDenseHistory(std::span<const StoredEvent> stored, const IdMap& items) {
  DenseHistory h;
  h.events.reserve(stored.size());
  for (const StoredEvent& e : stored) {
    auto id = items.Find(e.item_id);
    if (!id) continue;
    h.events.push_back(Event{*id, e.type, e.timestamp});
    if (e.type == EventType::kPurchase) h.purchased.insert(*id);
  }
  return h;
}

absl::StatusOr<RecommendAnswer> RecommendForUser(const RankingContext& context, const RecommendQuery& query,
                                                 const ScoringOptions& options, UserStateCache* cache) {
  RecommendAnswer answer;
  const IdMap& items = context.bundle->items();
  DenseHistory history = ToDenseHistory(query.stored_history, items);
  const size_t stored_events = history.events.size();
  const uint64_t fingerprint = HistoryFingerprint(history.events);
  // Session context the caller knows but may not have recorded yet.
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  for (const std::string& id : query.recent_item_ids) {
    if (auto dense = items.Find(id)) {
      history.events.push_back(Event{*dense, query.recent_event_type, now});
    } else {
      answer.ignored_ids.push_back(id);
    }
  }

  RankRequest rank;
  rank.history = UserHistory{history.events, -1};
  rank.k = query.k;
  rank.explain = query.explain;
  rank.exclude_history = context.exclude_seen && query.exclude_seen;
  rank.max_rule_scan_items = context.max_rule_scan_items;
  rank.candidates = query.candidates;
  rank.catalog_scale = !query.candidates.empty();
  rank.exclude = query.exclude;
  rank.profile = query.profile;
  rank.live_generation = context.live_generation;
  rank.min_live_generation = context.min_live_generation;
  if (auto s = ApplyRules(query.rules, items, context.catalog, &history.purchased, rank, answer.ignored_ids);
      !s.ok()) {
    return s;
  }
  if (query.allowed && rank.allowed) {
    rank.allowed = [rules = std::move(rank.allowed), own = query.allowed](int32_t item) {
      return own(item) && rules(item);
    };
  } else if (query.allowed) {
    rank.allowed = query.allowed;
  }
  // States encoded from the stored history serve this request; session
  // items on top of it extend them for this request alone, so only a
  // request without any keeps what it ranks.
  const size_t session_events = history.events.size() - stored_events;
  const bool cacheable = cache != nullptr && session_events == 0;
  // The top list is a history's best of the catalog under its own weights.
  const bool top_applies = query.candidates.empty() && query.profile.empty();
  UserStateCache::Cached cached;
  if (cache != nullptr) {
    cached = cache->LookupEntry(query.user_id, context.bundle, fingerprint);
    answer.state_cache_hit = !cached.states.empty();
    if (cacheable && top_applies && context.result_cache_items > 0) answer.result_cache_hit = false;
  }
  if (cacheable && top_applies && cached.top != nullptr) {
    if (auto from_top = context.pipeline->SelectFromTop(rank, *cached.top)) {
      answer.ranking = *std::move(from_top);
      answer.result_cache_hit = true;
    }
  }
  if (!answer.result_cache_hit.value_or(false)) {
    rank.states = cached.states;
    rank.states_behind = rank.states.empty() ? 0 : session_events;
    if (cacheable && top_applies && !context.cache_read_only) rank.keep_top = std::max(context.result_cache_items, 0);
    answer.ranking = context.pipeline->Rank(rank, options);
    // Keep what is new: states the cache lacked, or a top list for them. A
    // request that makes no top list keeps the one cached, if any.
    if (cacheable && !context.cache_read_only &&
        (EncodedAnyState(rank.states, answer.ranking.states) || answer.ranking.top != nullptr)) {
      std::shared_ptr<const FusedTopList> top = std::move(answer.ranking.top);
      if (!top_applies) top = cached.top;
      cache->Insert(query.user_id, context.bundle, fingerprint, std::move(answer.ranking.states), std::move(top));
    }
  }
  if (query.explain) ExplainAnswer(context, history.events, answer);
  return answer;
}

absl::StatusOr<RecommendAnswer> RecommendSimilar(const RankingContext& context, int32_t item, int k, bool explain,
                                                 const RuleSpec& rules, const ScoringOptions& options) {
  RecommendAnswer answer;
  const std::vector<Event> one{Event{item, EventType::kView, absl::ToUnixSeconds(absl::Now())}};
  RankRequest rank;
  rank.history = UserHistory{one, -1};
  rank.k = k;
  rank.explain = explain;
  rank.max_rule_scan_items = context.max_rule_scan_items;
  // None named (or a hand-made config naming a missing one): the weights of
  // a one-event history.
  const FusionConfig& fusion = context.pipeline->fusion();
  if (fusion.Profile(fusion.similar_profile) != nullptr) rank.profile = fusion.similar_profile;
  if (auto s = ApplyRules(rules, context.bundle->items(), context.catalog, nullptr, rank, answer.ignored_ids);
      !s.ok()) {
    return s;
  }
  answer.ranking = context.pipeline->Rank(rank, options);
  // The reason names no history item: the answer is about an item, not a user.
  if (explain) ExplainAnswer(context, {}, answer);
  return answer;
}

}  // namespace recd
