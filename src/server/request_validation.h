#ifndef RECD_SERVER_REQUEST_VALIDATION_H_
#define RECD_SERVER_REQUEST_VALIDATION_H_

#include "absl/status/status.h"
#include "recd/v1/recommender.pb.h"
#include "server/server_config.h"

namespace recd {

// Checks requests before any work is done. Errors are INVALID_ARGUMENT with a
// message naming the offending field ("k: must be in 1..1000, got 0").
absl::Status ValidateRecommendRequest(const v1::RecommendRequest& r, const ServerConfig& config);
absl::Status ValidateSimilarItemsRequest(const v1::SimilarItemsRequest& r, const ServerConfig& config);
// item_ids: 1..server.max_rank_items ids; ids' lengths. Repeats are the
// ranking layer's to name (RankItemsForUser).
absl::Status ValidateRankItemsRequest(const v1::RankItemsRequest& r, const ServerConfig& config);
// item_ids: 1..server.max_cart_items; user_id optional.
absl::Status ValidateCompleteCartRequest(const v1::CompleteCartRequest& r, const ServerConfig& config);
// Per-event checks (ids, type, timestamp) and the batch size.
absl::Status ValidateRecordEventsRequest(const v1::RecordEventsRequest& r, const ServerConfig& config);
absl::Status ValidateUpdateStockRequest(const v1::UpdateStockRequest& r, const ServerConfig& config);
absl::Status ValidateForgetUserRequest(const v1::ForgetUserRequest& r);
absl::Status ValidateAddItemsRequest(const v1::AddItemsRequest& r, const ServerConfig& config);
absl::Status ValidateReleaseQuarantineRequest(const v1::ReleaseQuarantineRequest& r);

// Longest accepted user or item id, in bytes.
inline constexpr size_t kMaxIdLength = 256;

}  // namespace recd

#endif  // RECD_SERVER_REQUEST_VALIDATION_H_
