#ifndef RECD_SERVER_CACHED_STATE_REFRESHER_H_
#define RECD_SERVER_CACHED_STATE_REFRESHER_H_

#include <span>

#include "recd/feature_store.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"
#include "server/user_state_cache.h"

namespace recd {

// Keeps the UserStateCache fresh as events are recorded: after a batch is
// durable, each user of it that the cache holds gets its weighted models'
// states extended by the new events (RefreshStates), so the next request
// for a user who just acted usually skips the encoders (one that races
// ahead of the refresh misses the cache and encodes itself). Users not cached are left
// for their next request: a bulk import must not encode every user it
// touches.
//
// Incremental only when it is exact: the cached entry must have been
// encoded from precisely the stored history minus the new events (its
// fingerprint says so); otherwise (trimmed history, another bundle, an
// entry from before a reload) the weighted models re-encode. A stale entry
// can never be served either way: the cache checks fingerprints on lookup.
//
// Thread-safe, but meant for one caller at a time in write order (the
// EventWriter's thread): the store must hold exactly what was written up to
// the batch being refreshed for the fingerprint check to find the prefix.
class CachedStateRefresher {
 public:
  // REQUIRES: all outlive the refresher. `cache` may be null (no-op).
  CachedStateRefresher(ServingStateManager* states, FeatureStore* store, UserStateCache* cache,
                       ServerMetrics* metrics)
      : states_(states), store_(store), cache_(cache), metrics_(metrics) {}
  CachedStateRefresher(const CachedStateRefresher&) = delete;
  CachedStateRefresher& operator=(const CachedStateRefresher&) = delete;

  // `written`: the events just made durable (a user may appear repeatedly).
  void Refresh(std::span<const UserEvents> written) const;

 private:
  ServingStateManager* const states_;
  FeatureStore* const store_;
  UserStateCache* const cache_;
  ServerMetrics* const metrics_;
};

}  // namespace recd

#endif  // RECD_SERVER_CACHED_STATE_REFRESHER_H_
