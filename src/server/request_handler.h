#ifndef RECD_SERVER_REQUEST_HANDLER_H_
#define RECD_SERVER_REQUEST_HANDLER_H_

#include <atomic>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "abuse/event_limits.h"
#include "abuse/online_shilling_detector.h"
#include "recd/feature_store.h"
#include "recd/v1/recommender.pb.h"
#include "ranking/user_state_cache.h"
#include "server/stock_updates.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"
#include "server/shadow_ranker.h"
#include "store/event_writer.h"
#include "util/thread_pool.h"

namespace recd {

// The work behind each RPC: validate the proto, read the user from the
// store, convert to a ranking query, call the ranking layer
// (ranking/recommend.h: rules, cache policy, explanations) on the current
// serving state, convert back. The gRPC services call it from their
// own pool. Thread-safe; holds no per-request state.
class RequestHandler {
 public:
  // `state_cache` may be null (no caching). `event_writer` is where
  // RecordEvents queues its writes. `shadow` ranks the config's shadow
  // beside RecommendItems answers (null: no shadowing).
  RequestHandler(ServingStateManager* states, FeatureStore* store, ThreadPool* scorer_pool,
                 ServerMetrics* metrics, UserStateCache* state_cache, EventWriter* event_writer,
                 StockUpdates* stock_updates, ShadowRanker* shadow = nullptr)
      : states_(states), store_(store), scorer_pool_(scorer_pool), metrics_(metrics),
        state_cache_(state_cache), event_writer_(event_writer), stock_updates_(stock_updates), shadow_(shadow) {}

  // `deadline` is the caller's gRPC deadline (InfiniteFuture when unset).
  absl::Status Recommend(const v1::RecommendRequest& request, absl::Time deadline,
                         v1::RecommendResponse* response) const;
  absl::Status SimilarItems(const v1::SimilarItemsRequest& request, absl::Time deadline,
                            v1::SimilarItemsResponse* response) const;
  absl::Status RankItems(const v1::RankItemsRequest& request, absl::Time deadline,
                         v1::RankItemsResponse* response) const;
  absl::Status CompleteCart(const v1::CompleteCartRequest& request, absl::Time deadline,
                            v1::CompleteCartResponse* response) const;
  // Validates the request, then queues it on the event writer and returns
  // without waiting for the disk. `done` runs once with the outcome: OK when
  // the events are durable (response filled), or why not (validation, queue
  // full, `deadline` passed before the write, store error). Cached users'
  // model states are refreshed after `done`, on the refresher's thread; a
  // request that comes first finds no state for the new history and
  // encodes it itself.
  void RecordEvents(const v1::RecordEventsRequest& request, absl::Time deadline,
                    v1::RecordEventsResponse* response, EventWriter::Done done) const;

  // Writes the stock changes to the store (synced), applies them to the
  // served catalog, then announces them to the replicas sharing the store.
  // An item without a catalog row is NOT_FOUND and nothing is changed.
  absl::Status UpdateStock(const v1::UpdateStockRequest& request, v1::UpdateStockResponse* response) const;

  // Erases the user from the store (durably) and from the state cache.
  absl::Status ForgetUser(const v1::ForgetUserRequest& request, v1::ForgetUserResponse* response) const;
  // Validates AddItems and writes its rows to the store (synced); counts
  // new and trained items. Serving them is the caller's reload.
  absl::Status AddItems(const v1::AddItemsRequest& request, v1::AddItemsResponse* response) const;

  // The online quarantine (server.shilling): every batch RecordEvents
  // writes is counted by `quarantine()` once it is durable.
  absl::Status ReleaseQuarantine(const v1::ReleaseQuarantineRequest& request,
                                 v1::ReleaseQuarantineResponse* response) const;
  absl::Status ListQuarantine(const v1::ListQuarantineRequest& request, v1::ListQuarantineResponse* response) const;
  // GetStatus' quarantine: the counts, the first 100 users and items.
  void FillQuarantineStatus(v1::QuarantineStatus* status) const;
  const OnlineShillingDetector& quarantine() const { return quarantine_; }
  // GetStatus' shadow: the running one, its figures, and any admin decision.
  void FillShadowStatus(v1::ShadowStatus* status) const;

  // A process-unique id for logs and responses.
  std::string NewRequestId() const;

 private:
  // The user's stored history. A store that cannot answer (down, failing
  // over, too slow) gives an empty one with `store_out` set: the answer is
  // ranked without it and flagged. Any other store error is the caller's.
  absl::StatusOr<StoredHistory> ReadHistory(const std::string& user_id, const std::string& request_id,
                                            bool& store_out) const;

  // The request's events grouped by user in arrival order, or why the
  // request is refused (nothing of it is written then).
  absl::StatusOr<std::vector<UserEvents>> EventsToRecord(const v1::RecordEventsRequest& request) const;

  // The time of the user's first stored event (OnlineShillingDetector's
  // FirstEventLookup).
  std::optional<int64_t> FirstEventTime(const std::string& user_id) const;

  ServingStateManager* states_;
  FeatureStore* store_;
  ThreadPool* scorer_pool_;
  ServerMetrics* metrics_;
  UserStateCache* state_cache_;
  EventWriter* event_writer_;
  StockUpdates* stock_updates_;
  ShadowRanker* shadow_;
  mutable EventLimits event_limits_;  // server.rate_limits
  mutable OnlineShillingDetector quarantine_;  // server.shilling
  mutable std::atomic<uint64_t> next_request_{1};
};

}  // namespace recd

#endif  // RECD_SERVER_REQUEST_HANDLER_H_
