#include "store/in_memory_feature_store.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

#include <algorithm>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "store/history_merge.h"
#include "util/field_errors.h"

namespace recd {

InMemoryFeatureStore::InMemoryFeatureStore(const Options& options)
    : max_history_(std::max(1, options.max_history)) {}

void InMemoryFeatureStore::AppendLocked(const std::string& user_id,
                                        std::span<const StoredEvent> events) {
  if (events.empty()) return;
  auto& slot = histories_[user_id];
  static const StoredHistory kEmpty;
  slot = MergeHistory(slot ? *slot : kEmpty, events, max_history_);
}

absl::Status InMemoryFeatureStore::AppendEvents(const std::string& user_id,
                                                std::span<const StoredEvent> events) {
  if (absl::Status s = ValidateAppend(user_id, events); !s.ok()) return s;
  absl::MutexLock lock(&mu_);
  AppendLocked(user_id, events);
  return absl::OkStatus();
}

absl::Status InMemoryFeatureStore::AppendEventsBatch(std::span<const UserEvents> batch,
                                                     const StoreWriteOptions& options) {
  // Validate everything first: a batch is applied whole or not at all.
  for (const UserEvents& u : batch) {
    if (absl::Status s = ValidateEntry(u); !s.ok()) return s;
  }
  static const StoredHistory kEmpty;
  absl::MutexLock lock(&mu_);
  for (const UserEvents& u : batch) {
    if (u.events.empty()) continue;
    auto& slot = histories_[u.user_id];
    if (auto merged = MergeEntry(slot ? *slot : kEmpty, u, max_history_)) slot = std::move(merged);
  }
  return absl::OkStatus();
}

absl::Status InMemoryFeatureStore::ReplaceHistoriesBatch(std::span<const UserEvents> batch,
                                                         const StoreWriteOptions& options) {
  if (absl::Status s = ValidateReplace(batch); !s.ok()) return s;
  static const StoredHistory kEmpty;
  absl::MutexLock lock(&mu_);
  for (const UserEvents& u : batch) {
    if (!u.events.empty()) histories_[u.user_id] = MergeHistory(kEmpty, u.events, max_history_);
  }
  return absl::OkStatus();
}

absl::Status InMemoryFeatureStore::ForgetUser(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("ForgetUser: empty user id");
  absl::MutexLock lock(&mu_);
  histories_.erase(user_id);
  profiles_.erase(user_id);
  meta_[ForgottenUserKey(user_id)] = absl::StrCat(absl::ToUnixSeconds(absl::Now()));
  return absl::OkStatus();
}

absl::Status InMemoryFeatureStore::ForEachHistory(
    absl::FunctionRef<absl::Status(const std::string& user_id, const StoredHistory& history)> fn) {
  // A snapshot, ordered by user id like RocksDB's scan; `fn` runs unlocked.
  std::map<std::string, std::shared_ptr<const StoredHistory>> snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot.insert(histories_.begin(), histories_.end());
  }
  for (const auto& [user_id, history] : snapshot) {
    if (absl::Status s = fn(user_id, *history); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<StoredHistory> InMemoryFeatureStore::GetHistory(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("GetHistory: empty user id");
  std::shared_ptr<const StoredHistory> history;
  {
    absl::MutexLock lock(&mu_);
    auto it = histories_.find(user_id);
    if (it == histories_.end()) return StoredHistory{};
    history = it->second;
  }
  return *history;
}

absl::Status InMemoryFeatureStore::PutItems(std::span<const ItemRecord> items,
                                            const StoreWriteOptions& options) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].item_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("PutItems: item ", i, " has an empty id"));
    }
  }
  absl::MutexLock lock(&mu_);
  for (const ItemRecord& item : items) items_[item.item_id] = item.info;
  return absl::OkStatus();
}

absl::StatusOr<ItemRecord> InMemoryFeatureStore::GetItem(const std::string& item_id) {
  if (item_id.empty()) return absl::InvalidArgumentError("GetItem: empty item id");
  absl::MutexLock lock(&mu_);
  auto it = items_.find(item_id);
  if (it == items_.end())
    return absl::NotFoundError(absl::StrCat("items/", Quoted(item_id), " not found"));
  return ItemRecord{item_id, it->second};
}

absl::Status InMemoryFeatureStore::SetStock(const std::string& item_id, bool in_stock) {
  if (item_id.empty()) return absl::InvalidArgumentError("SetStock: empty item id");
  absl::MutexLock lock(&mu_);
  auto it = items_.find(item_id);
  if (it == items_.end())
    return absl::NotFoundError(absl::StrCat("items/", Quoted(item_id), " not found"));
  it->second.in_stock = in_stock;
  return absl::OkStatus();
}

absl::Status InMemoryFeatureStore::ForEachItem(
    absl::FunctionRef<absl::Status(const ItemRecord&)> fn) {
  // Copy first so `fn` runs without the lock (it may call back into us) on a
  // consistent snapshot, as with RocksDB's iterator.
  std::vector<ItemRecord> snapshot;
  {
    absl::MutexLock lock(&mu_);
    snapshot.reserve(items_.size());
    for (const auto& [id, info] : items_) snapshot.push_back(ItemRecord{id, info});
  }
  for (const ItemRecord& item : snapshot) {
    if (absl::Status s = fn(item); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status InMemoryFeatureStore::PutProfile(const std::string& user_id, std::string_view bytes) {
  if (user_id.empty()) return absl::InvalidArgumentError("empty key for profiles");
  absl::MutexLock lock(&mu_);
  profiles_[user_id] = std::string(bytes);
  return absl::OkStatus();
}

absl::StatusOr<std::string> InMemoryFeatureStore::GetProfile(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("empty key for profiles");
  absl::MutexLock lock(&mu_);
  auto it = profiles_.find(user_id);
  if (it == profiles_.end())
    return absl::NotFoundError(absl::StrCat("profiles/", Quoted(user_id), " not found"));
  return it->second;
}

absl::Status InMemoryFeatureStore::PutMeta(const std::string& key, std::string_view value) {
  if (key.empty()) return absl::InvalidArgumentError("empty key for meta");
  absl::MutexLock lock(&mu_);
  meta_[key] = std::string(value);
  return absl::OkStatus();
}

absl::StatusOr<std::string> InMemoryFeatureStore::GetMeta(const std::string& key) {
  if (key.empty()) return absl::InvalidArgumentError("empty key for meta");
  absl::MutexLock lock(&mu_);
  auto it = meta_.find(key);
  if (it == meta_.end())
    return absl::NotFoundError(absl::StrCat("meta/", Quoted(key), " not found"));
  return it->second;
}

absl::StatusOr<StoreCounts> InMemoryFeatureStore::ApproximateCounts() {
  absl::MutexLock lock(&mu_);
  return StoreCounts{static_cast<int64_t>(histories_.size()), static_cast<int64_t>(items_.size())};
}

std::unique_ptr<FeatureStore> NewInMemoryFeatureStore(const InMemoryStoreOptions& options) {
  return std::make_unique<InMemoryFeatureStore>(options);
}

}  // namespace recd
