#ifndef RECD_STORE_IN_MEMORY_FEATURE_STORE_H_
#define RECD_STORE_IN_MEMORY_FEATURE_STORE_H_

#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "recd/feature_store.h"
#include "recd/feature_store_factory.h"

namespace recd {

// A FeatureStore in process memory, for unit tests of the components that
// use one (the daemon, the ranking pipeline). It follows the same rules as
// RocksDbFeatureStore (validation, bounded histories, NotFound, item order in
// ForEachItem) and nothing survives the object. Writes are "durable" once
// they return; Flush() does nothing.
//
// Thread-safe: one mutex guards everything, which is plenty for tests.
class InMemoryFeatureStore : public FeatureStore {
 public:
  using Options = InMemoryStoreOptions;

  explicit InMemoryFeatureStore(const Options& options);

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
  absl::Status Flush() override { return absl::OkStatus(); }

 private:
  // REQUIRES: mu_ held; `user_id` and `events` validated.
  void AppendLocked(const std::string& user_id, std::span<const StoredEvent> events)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int32_t max_history_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::shared_ptr<const StoredHistory>> histories_
      ABSL_GUARDED_BY(mu_);
  std::map<std::string, ItemInfo> items_ ABSL_GUARDED_BY(mu_);  // ordered like RocksDB
  absl::flat_hash_map<std::string, std::string> profiles_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> meta_ ABSL_GUARDED_BY(mu_);
};

}  // namespace recd

#endif  // RECD_STORE_IN_MEMORY_FEATURE_STORE_H_
