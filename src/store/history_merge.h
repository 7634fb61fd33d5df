#ifndef RECD_STORE_HISTORY_MERGE_H_
#define RECD_STORE_HISTORY_MERGE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>

#include "absl/status/status.h"
#include "recd/feature_store.h"

namespace recd {

// Rules shared by every FeatureStore implementation, so the in-memory fake
// behaves exactly like the RocksDB store.

// InvalidArgument naming the user and event index for an empty user or item
// id or an event type this build does not know.
absl::Status ValidateAppend(std::string_view user_id, std::span<const StoredEvent> events);

// ValidateAppend for one batch entry, and InvalidArgument for a request id
// longer than kMaxRequestIdBytes.
absl::Status ValidateEntry(const UserEvents& entry);

// ValidateAppend for every user of a ReplaceHistoriesBatch, and
// InvalidArgument naming a user that appears twice (which of its entries
// should win would be a guess).
absl::Status ValidateReplace(std::span<const UserEvents> batch);

// `old` followed by `events`, keeping the newest `max_history` events and
// old's applied request ids. REQUIRES: max_history > 0.
std::shared_ptr<const StoredHistory> MergeHistory(const StoredHistory& old,
                                                  std::span<const StoredEvent> events,
                                                  int32_t max_history);

// `old` with `entry` appended and its request id (if any) remembered, or
// nullptr when there is nothing to write: the entry has no events, or old
// already holds its request id (a retry). REQUIRES: max_history > 0.
std::shared_ptr<const StoredHistory> MergeEntry(const StoredHistory& old, const UserEvents& entry,
                                                int32_t max_history);

}  // namespace recd

#endif  // RECD_STORE_HISTORY_MERGE_H_
