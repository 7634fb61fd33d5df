#include "server/cached_state_refresher.h"

#include <algorithm>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "ranking/recommend.h"
#include "ranking/state_refresh.h"
#include "spdlog/spdlog.h"

namespace recd {
CachedStateRefresher::CachedStateRefresher(ServingStateManager* states, FeatureStore* store,
                                           UserStateCache* cache, ServerMetrics* metrics, LiveFeedingOptions live)
    : states_(states), store_(store), cache_(cache), metrics_(metrics), live_(std::move(live)) {
  if (cache_ != nullptr || live_.enabled) thread_ = std::thread([this] { Run(); });
}

CachedStateRefresher::~CachedStateRefresher() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

void CachedStateRefresher::Enqueue(std::vector<UserEvents> written) {
  if (cache_ == nullptr && !live_.enabled) return;
  absl::MutexLock lock(&mu_);
  if (stopping_ || queue_.size() >= kMaxQueuedBatches) return;  // see the class comment
  queue_.push_back(std::move(written));
}

void CachedStateRefresher::Run() {
  absl::Time published = absl::Now();
  absl::Duration publish_every = live_.publish_interval;
  for (;;) {
    std::vector<std::vector<UserEvents>> batches;
    {
      absl::MutexLock lock(&mu_);
      const absl::Condition ready(
          +[](CachedStateRefresher* r) ABSL_EXCLUSIVE_LOCKS_REQUIRED(r->mu_) {
            return !r->queue_.empty() || r->stopping_;
          },
          this);
      // Live counts are published on time even when no more events come.
      if (live_.enabled) {
        mu_.AwaitWithTimeout(ready, live_.publish_interval);
      } else {
        mu_.Await(ready);
      }
      if (stopping_) return;
      for (auto& b : queue_) batches.push_back(std::move(b));
      queue_.clear();
    }
    AppendedItems appended;
    for (const auto& batch : batches) {
      for (const UserEvents& u : batch) {
        auto& items = appended[u.user_id];
        for (const StoredEvent& e : u.events) items.push_back(&e.item_id);
      }
    }
    if (cache_ != nullptr) Refresh(appended);
    if (!live_.enabled) continue;
    FeedLive(appended);
    const absl::Time now = absl::Now();
    if (now - published >= publish_every) {
      for (const LiveFeed& feed : LiveFeedsOf(*states_->Current())) feed.stats->Publish(now);
      published = now;
      // Building a snapshot costs 0.2-0.4 us per entry kept (measured: 40 ms
      // at 100k, 150-210 ms at 1M): publish at most a tenth of the time, so
      // a large overlay slows its own updates, not the daemon.
      publish_every = std::max(live_.publish_interval, 10 * (absl::Now() - now));
    }
  }
}

void CachedStateRefresher::Refresh(const AppendedItems& appended) const {
  const auto live = states_->Current();
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

namespace {

// How many events of `stored` end with the new events `new_items`: where
// they last occur in it, so events written after them (by a later batch,
// recorded with it) are not counted twice. The whole history when they are
// not found (trimmed away).
size_t EndOfNewEvents(std::span<const StoredEvent> stored, const std::vector<const std::string*>& new_items) {
  const size_t n = new_items.size();
  for (size_t end = stored.size(); end >= n && end > 0; --end) {
    bool match = true;
    for (size_t i = 0; i < n && match; ++i) match = stored[end - n + i].item_id == *new_items[i];
    if (match) return end;
  }
  return stored.size();
}

}  // namespace

void CachedStateRefresher::FeedLive(const AppendedItems& appended) const {
  const std::vector<LiveFeed> feeds = LiveFeedsOf(*states_->Current());
  if (feeds.empty()) return;
  const absl::Time now = absl::Now();
  for (const auto& [user, new_items] : appended) {
    if (live_.excluded && live_.excluded(user)) continue;
    auto stored = store_->GetHistory(user);
    if (!stored.ok()) continue;
    const std::span<const StoredEvent> upto(stored->events.data(), EndOfNewEvents(stored->events, new_items));
    for (const LiveFeed& feed : feeds) {
      const IdMap& items = feed.bundle->items();
      size_t added = 0;
      for (const std::string* item : new_items) added += items.Find(*item).has_value() ? 1 : 0;
      feed.stats->Record(ToDenseHistory(upto, items).events, added, now);
    }
  }
}

}  // namespace recd
