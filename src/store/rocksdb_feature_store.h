#ifndef RECD_STORE_ROCKSDB_FEATURE_STORE_H_
#define RECD_STORE_ROCKSDB_FEATURE_STORE_H_

#include <array>
#include <atomic>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "recd/feature_store.h"
#include "recd/feature_store_factory.h"
#include "store/history_cache.h"

namespace rocksdb {
class ColumnFamilyHandle;
class DB;
class Env;
}  // namespace rocksdb

namespace recd {

// The production FeatureStore: one on-disk RocksDB at Options::path with a
// column family per kind of value. Keys are the external ids as raw bytes.
//
//   histories  user id -> the user's last max_history events
//   items      item id -> catalog row
//   profiles   user id -> opaque per-user model state
//   meta       key     -> small string fact
//
// Value layouts (varint = LEB128 unsigned, as in protobuf; str = varint
// length + bytes). The first byte of every value is its format version, and a
// value with a version this build does not know is DataLoss, never guessed:
//
//   history v1: 0x01, varint n, then n events oldest first:
//               str item_id, u8 event type, varint zigzag(timestamp - previous
//               timestamp) (previous = 0 for the first event)
//   history v2: 0x02, the v1 body, then varint m + m str request ids (the
//               user's applied_requests, oldest first); written only when
//               there are request ids, so stores without them stay v1
//   item v1:    0x01, u8 flags (bit 0 = in_stock; other bits must be 0),
//               f32 little-endian price (NaN = unknown), str title,
//               varint n + n str category path (root first), str brand,
//               varint n + n str attributes
//   profile/meta v1: 0x01, then the bytes as given
//
// Durability: AppendEvents, SetStock, PutProfile and PutMeta write with a
// synced WAL; batches follow StoreWriteOptions::sync; Flush() syncs the WAL
// and flushes memtables.
//
// Concurrency: thread-safe. Histories are read-modify-written under one of
// kLockStripes mutexes chosen by user id, so two appends to one user never
// lose each other's events; different users mostly proceed in parallel and
// their synced writes share group commits. A sharded LRU (HistoryCache) of
// decoded histories serves hot users without touching RocksDB. It is kept
// coherent because every change to a user's history, and every cache fill
// after a miss, happens under that user's stripe lock: AppendEvents installs
// the new history, AppendEventsBatch drops its users (so a bulk load does not
// push hot users out), and a failed write drops the user. Catalog rows use a second set of stripes
// so SetStock's read-modify-write is atomic against PutItems.
class RocksDbFeatureStore : public FeatureStore {
 public:
  using Options = RocksDbStoreOptions;

  // Opens or creates the database. `env` is for fault-injection tests; null
  // means the default environment. REQUIRES: env outlives the store.
  static absl::StatusOr<std::unique_ptr<RocksDbFeatureStore>> Open(const Options& options,
                                                                   rocksdb::Env* env = nullptr);
  ~RocksDbFeatureStore() override;

  absl::Status AppendEvents(const std::string& user_id,
                            std::span<const StoredEvent> events) override;
  absl::Status AppendEventsBatch(std::span<const UserEvents> batch,
                                 const StoreWriteOptions& options) override;
  absl::Status ReplaceHistoriesBatch(std::span<const UserEvents> batch,
                                     const StoreWriteOptions& options) override;
  absl::StatusOr<StoredHistory> GetHistory(const std::string& user_id) override;
  absl::Status ForgetUser(const std::string& user_id) override;
  absl::Status ForEachHistory(
      absl::FunctionRef<absl::Status(const std::string& user_id, const StoredHistory& history)> fn) override;

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

  // GetHistory calls served from the history cache / from RocksDB since
  // open. With the cache disabled every call is a miss.
  int64_t history_cache_hits() const { return cache_hits_.load(std::memory_order_relaxed); }
  int64_t history_cache_misses() const { return cache_misses_.load(std::memory_order_relaxed); }

  // Writes `value` verbatim under `key` in column family `cf` ("histories",
  // "items", "profiles", "meta"), bypassing encoding and the cache. For
  // corruption tests only.
  absl::Status TEST_PutRaw(std::string_view cf, std::string_view key, std::string_view value);
  // Drops every cached history, so the next read goes to RocksDB.
  void TEST_ClearHistoryCache();

 private:
  // Enough that unrelated users rarely wait for each other's fsync.
  static constexpr int kLockStripes = 256;
  enum Cf { kItems = 0, kHistories, kProfiles, kMeta, kNumCfs };

  RocksDbFeatureStore(const Options& options, rocksdb::DB* db,
                      std::vector<rocksdb::ColumnFamilyHandle*> handles);

  absl::Mutex& HistoryStripe(std::string_view user_id);
  absl::Mutex& ItemStripe(std::string_view item_id);

  // Reads the history from the cache or RocksDB; never fills the cache.
  // REQUIRES: the user's history stripe is held.
  absl::StatusOr<HistoryCache::Entry> ReadHistoryLocked(std::string_view user_id);
  // Reads and decodes the stored history, bypassing the cache.
  absl::StatusOr<HistoryCache::Entry> LoadHistory(std::string_view user_id);
  // The raw value of `key` in `cf`, or NotFound naming both.
  absl::StatusOr<std::string> GetRaw(Cf cf, std::string_view key);
  absl::Status PutBlob(Cf cf, std::string_view key, std::string_view bytes);
  absl::StatusOr<std::string> GetBlob(Cf cf, std::string_view key);

  const Options options_;
  rocksdb::DB* const db_;
  // Indexed by Cf; extra column families found on disk follow.
  const std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  std::unique_ptr<HistoryCache> cache_;  // null when disabled
  std::array<absl::Mutex, kLockStripes> history_stripes_;
  std::array<absl::Mutex, kLockStripes> item_stripes_;
  // GetHistory calls served from the cache / from RocksDB.
  std::atomic<int64_t> cache_hits_{0};
  std::atomic<int64_t> cache_misses_{0};
};

}  // namespace recd

#endif  // RECD_STORE_ROCKSDB_FEATURE_STORE_H_
