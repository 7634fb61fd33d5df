#include "server/cached_state_refresher.h"

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "ranking/state_refresh.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// Events on items the bundle does not know are skipped, as the request path
// skips them: the models cannot score from them.
std::vector<Event> ToDense(const std::vector<StoredEvent>& stored, const IdMap& items) {
  std::vector<Event> dense;
  dense.reserve(stored.size());
  for (const StoredEvent& e : stored) {
    if (auto id = items.Find(e.item_id)) dense.push_back(Event{*id, e.type, e.timestamp});
  }
  return dense;
}

}  // namespace

void CachedStateRefresher::Refresh(std::span<const UserEvents> written) const {
  if (cache_ == nullptr) return;
  const auto state = states_->Current();
  const IdMap& items = state->bundle->items();
  // Per user: how many of the new events the models can see.
  absl::flat_hash_map<std::string, size_t> appended;
  for (const UserEvents& u : written) {
    size_t& n = appended[u.user_id];
    for (const StoredEvent& e : u.events) n += items.Find(e.item_id).has_value() ? 1 : 0;
  }
  for (const auto& [user, added] : appended) {
    if (!cache_->Contains(user)) continue;
    auto stored = store_->GetHistory(user);
    if (!stored.ok()) continue;  // the next request re-reads and reports it
    const std::vector<Event> dense = ToDense(stored->events, items);
    UserStateCache::States previous;
    if (added <= dense.size()) {
      const std::span<const Event> before(dense.data(), dense.size() - added);
      previous = cache_->Lookup(user, state->bundle, HistoryFingerprint(before));
    }
    auto fresh = RefreshStates(*state->pipeline, UserHistory{dense, -1}, added, previous);
    if (!fresh.ok()) {
      spdlog::warn("refreshing user {} after new events: {}", user, std::string(fresh.status().message()));
      continue;
    }
    cache_->Insert(user, state->bundle, HistoryFingerprint(dense), *std::move(fresh));
    metrics_->CountStateRefresh();
  }
}

}  // namespace recd
