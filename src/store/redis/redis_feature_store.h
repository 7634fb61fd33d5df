#ifndef RECD_STORE_REDIS_REDIS_FEATURE_STORE_H_
#define RECD_STORE_REDIS_REDIS_FEATURE_STORE_H_

#include <array>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "recd/feature_store.h"
#include "recd/feature_store_factory.h"
#include "store/redis/redis_catalog_feed.h"
#include "store/redis/redis_cluster_client.h"

namespace recd {

// A FeatureStore in a Redis Cluster (or one standalone server) shared by
// every recd replica. Values use the RocksDB store's encodings
// (store/value_codec.h, layouts in rocksdb_feature_store.h); P = key_prefix:
//
//   P:{u:<user>}:h   string  the user's history (history v1)
//   P:{u:<user>}:p   string  the user's profile (blob v1)
//   P:items          hash    item id -> catalog row (item v1)
//   P:meta           hash    key -> fact (blob v1)
//   P:users          integer users with a history (for ApproximateCounts)
//
// The {u:<user>} hash tag puts every key of one user in one slot.
//
// Appends are optimistic read-merge-compare-and-set: GET the history, merge
// in C++ with the same MergeHistory and codec as RocksDB, then a Lua script
// (EVAL) sets the new value only if the stored one is still what was read,
// else the append starts over (at most kMaxCasAttempts times, then
// Unavailable). Chosen over a Lua script that decodes and appends (the
// codec would exist twice, and Lua's doubles cannot hold every int64
// timestamp) and over WATCH/MULTI (each step here is one single-key command,
// so MOVED/ASK handling needs no connection kept across steps). Appends of
// one process to one user are also serialized by stripe locks, so retries
// only happen when two replicas write one user at the same moment.
//
// Durability: the servers must run with appendonly yes / appendfsync
// always (README), so a write is in the primary's append-only file before
// it is acknowledged; with wait_replicas > 0 every synced write is followed
// by WAIT and fewer confirmations is Unavailable (the write is then on the
// primary, but not known to be replicated). Batches with sync == false skip
// WAIT; Flush() has nothing to do.
//
// Differences from RocksDB: AppendEventsBatch and ReplaceHistoriesBatch are
// atomic per user, not across users (users live in different slots, even on
// different nodes): a failure mid-batch can leave some users written.
// PutItems is atomic (one MULTI/EXEC on the items hash). ForEachItem reads
// the ids, then the rows in pages: rows written during the scan may show
// their old or new value. ApproximateCounts' user count is a counter bumped
// after the write that created a user, so a crash in between undercounts.
// There is no history cache: replicas share the store, so a local cache
// could serve a history another replica has since appended to.
//
// An unreachable store, a timeout or a failover in progress is Unavailable
// naming the node, never OK. Thread-safe.
class RedisFeatureStore : public FeatureStore {
 public:
  using Options = RedisStoreOptions;

  static absl::StatusOr<std::unique_ptr<RedisFeatureStore>> Open(const Options& options);

  absl::Status AppendEvents(const std::string& user_id,
                            std::span<const StoredEvent> events) override;
  absl::Status AppendEventsBatch(std::span<const UserEvents> batch,
                                 const StoreWriteOptions& options) override;
  absl::Status ReplaceHistoriesBatch(std::span<const UserEvents> batch,
                                     const StoreWriteOptions& options) override;
  absl::StatusOr<StoredHistory> GetHistory(const std::string& user_id) override;
  absl::Status ForgetUser(const std::string& user_id) override;
  // Stock changes of every replica on this store (RedisCatalogFeed).
  CatalogFeed* catalog_feed() override { return &feed_; }

  absl::Status PutItems(std::span<const ItemRecord> items,
                        const StoreWriteOptions& options) override;
  absl::StatusOr<ItemRecord> GetItem(const std::string& item_id) override;
  absl::Status SetStock(const std::string& item_id, bool in_stock) override;
  absl::Status ForEachItem(absl::FunctionRef<absl::Status(const ItemRecord&)> fn) override;

  absl::Status PutProfile(const std::string& user_id, std::string_view bytes) override;
  absl::StatusOr<std::string> GetProfile(const std::string& user_id) override;
  absl::Status PutMeta(const std::string& key, std::string_view value) override;
  absl::StatusOr<std::string> GetMeta(const std::string& key) override;

  absl::StatusOr<StoreCounts> ApproximateCounts() override;
  absl::Status Flush() override;

  // The key of the user's history, for tests that inspect the servers.
  std::string HistoryKey(std::string_view user_id) const;
  RedisClusterClient& client() { return *client_; }

  // Compare-and-set rounds before an append gives up with Unavailable.
  static constexpr int kMaxCasAttempts = 16;

 private:
  static constexpr int kLockStripes = 256;
  // Rows per HSET/HMGET command.
  static constexpr size_t kPage = 256;

  RedisFeatureStore(const Options& options, std::unique_ptr<RedisClusterClient> client);

  std::string ProfileKey(std::string_view user_id) const;
  RedisClusterClient::WriteConcern Concern(bool sync) const;
  // Applies the user's validated entries by compare-and-set, retrying when
  // another replica wrote the history in between. REQUIRES: the user's
  // stripe is held.
  absl::Status AppendLocked(const std::string& user_id, std::span<const UserEvents* const> entries);
  // `old` with the entries applied in order; nullptr when all are retries.
  std::shared_ptr<const StoredHistory> ApplyEntries(const StoredHistory& old,
                                                    std::span<const UserEvents* const> entries) const;
  // Adds `n` to the user counter.
  absl::Status CountNewUsers(int64_t n);
  absl::StatusOr<RedisReply> One(std::string_view key, RedisCommand command, bool write);

  const Options options_;
  const std::unique_ptr<RedisClusterClient> client_;
  const std::string items_key_, meta_key_, users_key_;
  RedisCatalogFeed feed_;  // on client_, key "<prefix>:catalog"
  std::array<absl::Mutex, kLockStripes> history_stripes_;
};

}  // namespace recd

#endif  // RECD_STORE_REDIS_REDIS_FEATURE_STORE_H_
