#ifndef RECD_TESTS_TEST_UTIL_FORWARDING_FEATURE_STORE_H_
#define RECD_TESTS_TEST_UTIL_FORWARDING_FEATURE_STORE_H_

#include <atomic>
#include <functional>

#include "absl/status/status.h"
#include "recd/feature_store.h"

namespace recd {

// A FeatureStore that forwards to another one and lets a test watch or break
// the history writes: it counts AppendEventsBatch / ReplaceHistoriesBatch
// calls, runs `before_write` (e.g. to hold the writer on a gate) before each,
// and fails every history write from `fail_after_writes` on (a crash mid-seed:
// nothing after that point reaches the store). Thread-safe if `inner` is;
// set the hooks before sharing it.
class ForwardingFeatureStore : public FeatureStore {
 public:
  explicit ForwardingFeatureStore(FeatureStore* inner) : inner_(inner) {}

  std::function<void()> before_write;
  int64_t fail_after_writes = -1;  // -1 = never

  int64_t history_writes() const { return history_writes_.load(); }

  absl::Status AppendEvents(const std::string& user_id, std::span<const StoredEvent> events) override {
    return inner_->AppendEvents(user_id, events);
  }
  absl::Status AppendEventsBatch(std::span<const UserEvents> batch,
                                 const StoreWriteOptions& options) override {
    if (absl::Status s = BeforeWrite(); !s.ok()) return s;
    return inner_->AppendEventsBatch(batch, options);
  }
  absl::Status ReplaceHistoriesBatch(std::span<const UserEvents> batch,
                                     const StoreWriteOptions& options) override {
    if (absl::Status s = BeforeWrite(); !s.ok()) return s;
    return inner_->ReplaceHistoriesBatch(batch, options);
  }
  absl::StatusOr<StoredHistory> GetHistory(const std::string& user_id) override {
    return inner_->GetHistory(user_id);
  }
  absl::Status ForgetUser(const std::string& user_id) override { return inner_->ForgetUser(user_id); }
  absl::Status PutItems(std::span<const ItemRecord> items, const StoreWriteOptions& options) override {
    return inner_->PutItems(items, options);
  }
  absl::StatusOr<ItemRecord> GetItem(const std::string& item_id) override { return inner_->GetItem(item_id); }
  absl::Status SetStock(const std::string& item_id, bool in_stock) override {
    return inner_->SetStock(item_id, in_stock);
  }
  absl::Status ForEachItem(absl::FunctionRef<absl::Status(const ItemRecord&)> fn) override {
    return inner_->ForEachItem(fn);
  }
  absl::Status PutProfile(const std::string& user_id, std::string_view bytes) override {
    return inner_->PutProfile(user_id, bytes);
  }
  absl::StatusOr<std::string> GetProfile(const std::string& user_id) override {
    return inner_->GetProfile(user_id);
  }
  absl::Status PutMeta(const std::string& key, std::string_view value) override {
    if (failing_.load()) return absl::UnavailableError("injected crash");
    return inner_->PutMeta(key, value);
  }
  absl::StatusOr<std::string> GetMeta(const std::string& key) override { return inner_->GetMeta(key); }
  absl::StatusOr<StoreCounts> ApproximateCounts() override { return inner_->ApproximateCounts(); }
  absl::Status Flush() override {
    if (failing_.load()) return absl::UnavailableError("injected crash");
    return inner_->Flush();
  }

 private:
  absl::Status BeforeWrite() {
    const int64_t n = history_writes_.fetch_add(1);
    if (fail_after_writes >= 0 && n >= fail_after_writes) failing_.store(true);
    if (failing_.load()) return absl::UnavailableError("injected crash");
    if (before_write) before_write();
    return absl::OkStatus();
  }

  FeatureStore* const inner_;
  std::atomic<int64_t> history_writes_{0};
  std::atomic<bool> failing_{false};
};

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_FORWARDING_FEATURE_STORE_H_
