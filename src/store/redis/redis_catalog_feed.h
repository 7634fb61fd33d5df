#ifndef RECD_STORE_REDIS_REDIS_CATALOG_FEED_H_
#define RECD_STORE_REDIS_REDIS_CATALOG_FEED_H_

#include <string>
#include <vector>

#include "recd/feature_store.h"
#include "store/redis/redis_cluster_client.h"

namespace recd {

// CatalogFeed on a Redis Stream (key "<prefix>:catalog", one slot): Publish
// is one XADD per change, capped near the newest 100,000 entries (MAXLEN ~);
// Poll is XREAD BLOCK from the cursor (a stream id). A replica that falls
// more than the cap behind misses the oldest changes, which are in the store
// for its next catalog load. Thread-safe; borrows the client.
class RedisCatalogFeed final : public CatalogFeed {
 public:
  static constexpr int kMaxEntries = 100000;

  RedisCatalogFeed(RedisClusterClient* client, std::string key);

  absl::Status Publish(std::span<const StockChange> changes) override;
  absl::StatusOr<std::string> Tail() override;
  absl::StatusOr<std::vector<StockChange>> Poll(std::string* cursor, absl::Duration wait, size_t max) override;

 private:
  RedisClusterClient* const client_;
  const std::string key_;
  const int slot_;
};

}  // namespace recd

#endif  // RECD_STORE_REDIS_REDIS_CATALOG_FEED_H_
