#ifndef RECD_SERVER_REQUEST_HANDLER_H_
#define RECD_SERVER_REQUEST_HANDLER_H_

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "recd/feature_store.h"
#include "recd/v1/recommender.pb.h"
#include "ranking/user_state_cache.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"
#include "util/thread_pool.h"

namespace recd {

// The work behind each RPC: validate the proto, read the user from the
// store, convert to a ranking query, call the ranking layer
// (ranking/recommend.h: rules, cache policy, explanations) on the current
// serving state, convert back. The gRPC services call it from their
// own pool. Thread-safe; holds no per-request state.
class RequestHandler {
 public:
  // `state_cache` may be null (no caching).
  RequestHandler(ServingStateManager* states, FeatureStore* store, ThreadPool* scorer_pool,
                 ServerMetrics* metrics, UserStateCache* state_cache)
      : states_(states), store_(store), scorer_pool_(scorer_pool), metrics_(metrics),
        state_cache_(state_cache) {}

  // `deadline` is the caller's gRPC deadline (InfiniteFuture when unset).
  absl::Status Recommend(const v1::RecommendRequest& request, absl::Time deadline,
                         v1::RecommendResponse* response) const;
  absl::Status SimilarItems(const v1::SimilarItemsRequest& request, absl::Time deadline,
                            v1::SimilarItemsResponse* response) const;
  // Durable before it returns OK; cached users' model states are re-encoded
  // before it returns, so their next request starts from them. Nothing is
  // written once `deadline` has passed (the caller has stopped waiting).
  absl::Status RecordEvents(const v1::RecordEventsRequest& request, absl::Time deadline,
                            v1::RecordEventsResponse* response) const;

  // A process-unique id for logs and responses.
  std::string NewRequestId() const;

 private:
  // Re-encodes the users of an accepted batch that the state cache holds.
  void RefreshCachedStates(const std::vector<UserEvents>& batch) const;

  ServingStateManager* states_;
  FeatureStore* store_;
  ThreadPool* scorer_pool_;
  ServerMetrics* metrics_;
  UserStateCache* state_cache_;
  mutable std::atomic<uint64_t> next_request_{1};
};

}  // namespace recd

#endif  // RECD_SERVER_REQUEST_HANDLER_H_
