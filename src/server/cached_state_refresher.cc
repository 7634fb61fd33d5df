#include "server/cached_state_refresher.h"

#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "ranking/recommend.h"
#include "ranking/state_refresh.h"
#include "spdlog/spdlog.h"

namespace recd {
CachedStateRefresher::CachedStateRefresher(ServingStateManager* states, FeatureStore* store,
                                           UserStateCache* cache, ServerMetrics* metrics)
    : states_(states), store_(store), cache_(cache), metrics_(metrics) {
  if (cache_ != nullptr) thread_ = std::thread([this] { Run(); });
}

CachedStateRefresher::~CachedStateRefresher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CachedStateRefresher::Enqueue(std::vector<UserEvents> written) {
  if (cache_ == nullptr) return;
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= kMaxQueuedBatches) return;  // see the class comment
  queue_.push_back(std::move(written));
}

void CachedStateRefresher::Run() {
  for (;;) {
    std::vector<std::vector<UserEvents>> batches;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](CachedStateRefresher* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return !r->queue_.empty() || r->stopping_;
          },
          this));
      if (stopping_) return;
      for (auto& b : queue_) batches.push_back(std::move(b));
      queue_.clear();
    }
    Refresh(batches);
  }
}

void CachedStateRefresher::Refresh(const std::vector<std::vector<UserEvents>>& written) const {
  const auto live = states_->Current();
  // Per user: the items of the new events, in order.
  absl::flat_hash_map<std::string, std::vector<const std::string*>> appended;
  for (const auto& batch : written) {
    for (const UserEvents& u : batch) {
      auto& items = appended[u.user_id];
      for (const StoredEvent& e : u.events) items.push_back(&e.item_id);
    }
  }
  for (const auto& [user, new_items] : appended) {
    if (!cache_->Contains(user)) continue;
    // The bundle and pipeline the user is ranked with (their arm's).
    const UserServing serving = ServingForUser(*live, user);
    const ServingState& state = *serving.state;
    const RankingPipeline& pipeline = serving.arm != nullptr ? *serving.arm->pipeline : *state.pipeline;
    const IdMap& items = state.bundle->items();
    size_t added = 0;  // how many of the new events the models can see
    for (const std::string* item : new_items) added += items.Find(*item).has_value() ? 1 : 0;
    auto stored = store_->GetHistory(user);
    if (!stored.ok()) continue;  // the next request re-reads and reports it
    const std::vector<Event> dense = ToDenseHistory(stored->events, items).events;
    UserStateCache::States previous;
    if (added <= dense.size()) {
      const std::span<const Event> before(dense.data(), dense.size() - added);
      previous = cache_->Lookup(user, state.bundle, HistoryFingerprint(before));
    }
    auto fresh = RefreshStates(pipeline, UserHistory{dense, -1}, added, previous);
    if (!fresh.ok()) {
      spdlog::warn("refreshing user {} after new events: {}", user, std::string(fresh.status().message()));
      continue;
    }
    cache_->Insert(user, state.bundle, HistoryFingerprint(dense), *std::move(fresh));
    metrics_->CountStateRefresh();
  }
}

}  // namespace recd
