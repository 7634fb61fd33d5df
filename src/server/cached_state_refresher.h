#ifndef RECD_SERVER_CACHED_STATE_REFRESHER_H_
#define RECD_SERVER_CACHED_STATE_REFRESHER_H_

#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "absl/synchronization/mutex.h"
#include "recd/feature_store.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"
#include "ranking/user_state_cache.h"

namespace recd {

// What CachedStateRefresher feeds the live item statistics with.
struct LiveFeedingOptions {
  bool enabled = false;
  absl::Duration publish_interval = absl::Milliseconds(500);
  // Users whose events must not shape the item statistics; may be empty.
  std::function<bool(const std::string& user_id)> excluded;
};

// Keeps the UserStateCache fresh as events are recorded: after a batch is
// durable, each user of it that the cache holds gets its weighted models'
// states extended by the new events (RefreshStates), so the next request
// for a user who just acted usually skips the encoders (one that races
// ahead of the refresh misses the cache and encodes itself). Users not
// cached are left for their next request: a bulk import must not encode
// every user it touches.
//
// Runs on its own thread behind a bounded queue, so refreshing never holds
// back the next group commit: measured on the demo daemon, refreshing on
// the writer thread took up to 500 ms per group under load and every write
// queued behind it. When the queue is full a batch's refresh is dropped,
// which is safe: those users' entries simply miss on their next request.
// When several batches wait, they are refreshed together, each user once.
//
// Incremental only when it is exact: the cached entry must have been
// encoded from precisely the stored history minus the new events (its
// fingerprint says so); otherwise (trimmed history, later events already
// written, another bundle, an entry from before a reload) the weighted
// models re-encode. A stale entry can never be served either way: the cache
// checks fingerprints on lookup.
//
// With live feeding, the same thread also records every batch in the live
// item statistics of the bundles served (LiveFeedsOf), users `excluded`
// (quarantined) left out, and publishes them every publish_interval.
//
// Thread-safe. The destructor stops the thread, dropping what is queued.
class CachedStateRefresher {
 public:
  // Batches waiting for the refresh thread before more are dropped. A few
  // seconds of a busy daemon's writes; each holds one group's events.
  static constexpr size_t kMaxQueuedBatches = 256;

  // REQUIRES: all outlive the refresher. `cache` may be null (then only
  // live feeding, if enabled, runs).
  CachedStateRefresher(ServingStateManager* states, FeatureStore* store, UserStateCache* cache,
                       ServerMetrics* metrics, LiveFeedingOptions live = {});
  ~CachedStateRefresher();
  CachedStateRefresher(const CachedStateRefresher&) = delete;
  CachedStateRefresher& operator=(const CachedStateRefresher&) = delete;

  // Queues a refresh for the users of `written`, events just made durable
  // (a user may appear repeatedly). Returns at once.
  void Enqueue(std::vector<UserEvents> written);

 private:
  // Per user of `written`: the item ids of their new events, in order.
  using AppendedItems = absl::flat_hash_map<std::string, std::vector<const std::string*>>;

  void Run();
  // Refreshes the cached users among `appended`.
  void Refresh(const AppendedItems& appended) const;
  // Records the new events of `appended` in every live overlay served.
  void FeedLive(const AppendedItems& appended) const;

  ServingStateManager* const states_;
  FeatureStore* const store_;
  UserStateCache* const cache_;
  ServerMetrics* const metrics_;
  const LiveFeedingOptions live_;
  absl::Mutex mu_;
  std::deque<std::vector<UserEvents>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace recd

#endif  // RECD_SERVER_CACHED_STATE_REFRESHER_H_
