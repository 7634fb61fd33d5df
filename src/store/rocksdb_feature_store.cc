#include "store/rocksdb_feature_store.h"

#include <rocksdb/cache.h>
#include <rocksdb/db.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"
#include "store/history_merge.h"
#include "store/stripe_locks.h"
#include "store/value_codec.h"

namespace recd {
namespace {

// Indexed by RocksDbFeatureStore::Cf.
constexpr absl::string_view kCfNames[] = {"items", "histories", "profiles", "meta"};

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

// "histories/'u42'": how errors name a value. Keys are caller-supplied bytes,
// so they are escaped.
std::string Where(absl::string_view cf, std::string_view key) {
  return absl::StrCat(cf, "/'", absl::CEscape(absl::string_view(key.data(), key.size())), "'");
}

absl::Status FromRocks(const rocksdb::Status& s, absl::string_view context) {
  if (s.ok()) return absl::OkStatus();
  std::string msg = absl::StrCat(context, ": ", s.ToString());
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIOError()) {
    return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// The decoder's DataLoss, prefixed with the table and key it came from.
absl::Status Annotate(const absl::Status& s, absl::string_view cf, std::string_view key) {
  return absl::Status(s.code(), absl::StrCat(Where(cf, key), ": ", std::string(s.message())));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RocksDbFeatureStore>> RocksDbFeatureStore::Open(
    const Options& options, rocksdb::Env* env) {
  if (options.path.empty()) return absl::InvalidArgumentError("feature store path is empty");
  if (options.max_history <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_history must be positive, got ", options.max_history));
  }

  rocksdb::DBOptions db_options;
  db_options.create_if_missing = options.create_if_missing;
  db_options.create_missing_column_families = options.create_if_missing;
  if (env != nullptr) db_options.env = env;

  rocksdb::BlockBasedTableOptions table;
  table.block_cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  // Nearly every read is a point lookup, many for users with no history yet.
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  rocksdb::ColumnFamilyOptions cf_options;
  cf_options.write_buffer_size = options.write_buffer_bytes;
  cf_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));

  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  for (absl::string_view name : kCfNames) descriptors.emplace_back(std::string(name), cf_options);
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, cf_options);
  // RocksDB refuses to open a database without naming every column family
  // it has; a newer recd may have added some, so open those too.
  std::vector<std::string> existing;
  if (rocksdb::DB::ListColumnFamilies(db_options, options.path, &existing).ok()) {
    for (const std::string& name : existing) {
      bool known = false;
      for (const auto& d : descriptors) known = known || d.name == name;
      if (!known) descriptors.emplace_back(name, cf_options);
    }
  }

  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* db = nullptr;
  rocksdb::Status s;
  if (options.secondary_path.empty()) {
    s = rocksdb::DB::Open(db_options, options.path, descriptors, &handles, &db);
  } else {
    db_options.create_if_missing = false;
    db_options.create_missing_column_families = false;
    db_options.max_open_files = -1;  // a secondary instance requires it
    s = rocksdb::DB::OpenAsSecondary(db_options, options.path, options.secondary_path, descriptors, &handles, &db);
    if (s.ok()) s = db->TryCatchUpWithPrimary();
    if (!s.ok() && db != nullptr) {
      for (rocksdb::ColumnFamilyHandle* h : handles) db->DestroyColumnFamilyHandle(h);
      delete db;
    }
  }
  if (!s.ok()) return FromRocks(s, absl::StrCat("opening feature store ", options.path));
  spdlog::info("feature store opened at {} ({} column families{})", options.path, handles.size(),
               options.secondary_path.empty() ? "" : ", read only as a secondary");
  return std::unique_ptr<RocksDbFeatureStore>(
      new RocksDbFeatureStore(options, db, std::move(handles)));
}

RocksDbFeatureStore::RocksDbFeatureStore(const Options& options, rocksdb::DB* db,
                                         std::vector<rocksdb::ColumnFamilyHandle*> handles)
    : options_(options), db_(db), handles_(std::move(handles)) {
  if (options_.history_cache_entries > 0) {
    cache_ = std::make_unique<HistoryCache>(options_.history_cache_entries,
                                            options_.history_cache_shards);
  }
}

RocksDbFeatureStore::~RocksDbFeatureStore() {
  for (rocksdb::ColumnFamilyHandle* h : handles_) db_->DestroyColumnFamilyHandle(h);
  // Close() does not flush memtables: everything acknowledged is in the WAL
  // and is replayed on the next open.
  rocksdb::Status s = db_->Close();
  if (!s.ok()) spdlog::warn("closing feature store {}: {}", options_.path, s.ToString());
  delete db_;
}

absl::Mutex& RocksDbFeatureStore::HistoryStripe(std::string_view user_id) {
  return history_stripes_[StripeOf(user_id, kLockStripes)];
}

absl::Mutex& RocksDbFeatureStore::ItemStripe(std::string_view item_id) {
  return item_stripes_[StripeOf(item_id, kLockStripes)];
}

absl::StatusOr<std::string> RocksDbFeatureStore::GetRaw(Cf cf, std::string_view key) {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), handles_[cf], ToSlice(key), &value);
  if (s.IsNotFound())
    return absl::NotFoundError(absl::StrCat(Where(kCfNames[cf], key), " not found"));
  if (!s.ok()) return FromRocks(s, absl::StrCat("reading ", Where(kCfNames[cf], key)));
  return value;
}

// ---- Histories --------------------------------------------------------------

absl::StatusOr<HistoryCache::Entry> RocksDbFeatureStore::LoadHistory(std::string_view user_id) {
  absl::StatusOr<std::string> raw = GetRaw(kHistories, user_id);
  if (absl::IsNotFound(raw.status())) return std::make_shared<const StoredHistory>();
  if (!raw.ok()) return raw.status();
  absl::StatusOr<StoredHistory> history = DecodeHistory(*raw);
  if (!history.ok()) return Annotate(history.status(), kCfNames[kHistories], user_id);
  return HistoryCache::Entry(std::make_shared<const StoredHistory>(*std::move(history)));
}

absl::StatusOr<HistoryCache::Entry> RocksDbFeatureStore::ReadHistoryLocked(
    std::string_view user_id) {
  if (cache_ != nullptr) {
    if (HistoryCache::Entry cached = cache_->Lookup(user_id)) return cached;
  }
  return LoadHistory(user_id);
}

absl::Status RocksDbFeatureStore::AppendEvents(const std::string& user_id,
                                               std::span<const StoredEvent> events) {
  if (absl::Status s = ValidateAppend(user_id, events); !s.ok()) return s;
  if (events.empty()) return absl::OkStatus();
  absl::MutexLock lock(&HistoryStripe(user_id));
  absl::StatusOr<HistoryCache::Entry> old = ReadHistoryLocked(user_id);
  if (!old.ok()) return old.status();
  HistoryCache::Entry updated = MergeHistory(**old, events, options_.max_history);
  std::string value;
  EncodeHistory(*updated, &value);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  rocksdb::Status s = db_->Put(write_options, handles_[kHistories], user_id, value);
  if (!s.ok()) {
    // The write may or may not have reached the memtable; let the next read
    // find out from RocksDB.
    if (cache_ != nullptr) cache_->Erase(user_id);
    return FromRocks(s, absl::StrCat("appending to ", Where(kCfNames[kHistories], user_id)));
  }
  if (cache_ != nullptr) cache_->Insert(user_id, std::move(updated));
  return absl::OkStatus();
}

absl::Status RocksDbFeatureStore::AppendEventsBatch(std::span<const UserEvents> batch,
                                                    const StoreWriteOptions& options) {
  std::vector<std::string_view> users;
  users.reserve(batch.size());
  for (const UserEvents& u : batch) {
    if (absl::Status s = ValidateEntry(u); !s.ok()) return s;
    if (!u.events.empty()) users.push_back(u.user_id);
  }
  if (users.empty()) return absl::OkStatus();

  StripeLocks locks(history_stripes_, users);
  // A user may appear several times in one batch; later entries build on the
  // earlier ones, not on the stored value.
  absl::flat_hash_map<std::string_view, HistoryCache::Entry> updated;
  for (const UserEvents& u : batch) {
    if (u.events.empty()) continue;
    auto it = updated.find(u.user_id);
    HistoryCache::Entry base;
    if (it != updated.end()) {
      base = it->second;
    } else {
      absl::StatusOr<HistoryCache::Entry> old = ReadHistoryLocked(u.user_id);
      if (!old.ok()) return old.status();
      base = *std::move(old);
    }
    // nullptr: a retry of an applied request; nothing to write for it.
    if (HistoryCache::Entry merged = MergeEntry(*base, u, options_.max_history)) updated[u.user_id] = merged;
  }
  if (updated.empty()) return absl::OkStatus();

  rocksdb::WriteBatch write_batch;
  std::string value;
  for (const auto& [user, history] : updated) {
    EncodeHistory(*history, &value);
    write_batch.Put(handles_[kHistories], ToSlice(user), value);
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options.sync;
  rocksdb::Status s = db_->Write(write_options, &write_batch);
  if (cache_ != nullptr) {
    for (const auto& [user, history] : updated) cache_->Erase(user);
  }
  return FromRocks(s, absl::StrCat("appending events of ", updated.size(), " users"));
}

absl::Status RocksDbFeatureStore::ReplaceHistoriesBatch(std::span<const UserEvents> batch,
                                                        const StoreWriteOptions& options) {
  if (absl::Status s = ValidateReplace(batch); !s.ok()) return s;
  std::vector<std::string_view> users;
  rocksdb::WriteBatch write_batch;
  std::string value;
  static const StoredHistory kEmpty;
  for (const UserEvents& u : batch) {
    if (u.events.empty()) continue;
    users.push_back(u.user_id);
    EncodeHistory(MergeHistory(kEmpty, u.events, options_.max_history)->events, &value);
    write_batch.Put(handles_[kHistories], ToSlice(u.user_id), value);
  }
  if (users.empty()) return absl::OkStatus();
  rocksdb::WriteOptions write_options;
  write_options.sync = options.sync;
  // Held across the write so no cache fill can slip in between the write and
  // the erase below and keep the replaced history.
  StripeLocks locks(history_stripes_, users);
  rocksdb::Status s = db_->Write(write_options, &write_batch);
  if (cache_ != nullptr) {
    for (std::string_view user : users) cache_->Erase(user);
  }
  return FromRocks(s, absl::StrCat("replacing the histories of ", users.size(), " users"));
}

absl::StatusOr<StoredHistory> RocksDbFeatureStore::GetHistory(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("GetHistory: empty user id");
  if (cache_ == nullptr) {
    cache_misses_.fetch_add(1, std::memory_order_relaxed);
    absl::StatusOr<HistoryCache::Entry> loaded = LoadHistory(user_id);
    if (!loaded.ok()) return loaded.status();
    return **loaded;
  }
  HistoryCache::Entry entry = cache_->Lookup(user_id);
  if (entry == nullptr) {
    // Fill under the stripe lock so an append cannot slip in between our
    // read and our insert and leave a stale history in the cache.
    absl::MutexLock lock(&HistoryStripe(user_id));
    entry = cache_->Lookup(user_id);  // another reader may have filled it
    if (entry == nullptr) {
      absl::StatusOr<HistoryCache::Entry> loaded = LoadHistory(user_id);
      if (!loaded.ok()) return loaded.status();
      entry = *std::move(loaded);
      cache_->Insert(user_id, entry);
      cache_misses_.fetch_add(1, std::memory_order_relaxed);
    } else {
      cache_hits_.fetch_add(1, std::memory_order_relaxed);
    }
  } else {
    cache_hits_.fetch_add(1, std::memory_order_relaxed);
  }
  return *entry;  // copied outside every lock
}

absl::Status RocksDbFeatureStore::ForEachHistory(
    absl::FunctionRef<absl::Status(const std::string& user_id, const StoredHistory& history)> fn) {
  rocksdb::ReadOptions read_options;
  read_options.fill_cache = false;  // a full scan should not evict hot users' blocks
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kHistories]));
  std::string user_id;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    user_id.assign(it->key().data(), it->key().size());
    absl::StatusOr<StoredHistory> history = DecodeHistory(std::string_view(it->value().data(), it->value().size()));
    if (!history.ok()) return Annotate(history.status(), kCfNames[kHistories], user_id);
    if (absl::Status s = fn(user_id, *history); !s.ok()) return s;
  }
  return FromRocks(it->status(), "scanning histories");
}

// ---- Catalog ----------------------------------------------------------------

absl::Status RocksDbFeatureStore::PutItems(std::span<const ItemRecord> items,
                                           const StoreWriteOptions& options) {
  std::vector<std::string_view> ids;
  ids.reserve(items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].item_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("PutItems: item ", i, " has an empty id"));
    }
    ids.push_back(items[i].item_id);
  }
  if (items.empty()) return absl::OkStatus();
  rocksdb::WriteBatch batch;
  std::string value;
  for (const ItemRecord& item : items) {
    EncodeItemInfo(item.info, &value);
    batch.Put(handles_[kItems], ToSlice(item.item_id), value);
  }
  rocksdb::WriteOptions write_options;
  write_options.sync = options.sync;
  StripeLocks locks(item_stripes_, ids);  // ordered against SetStock
  return FromRocks(db_->Write(write_options, &batch),
                   absl::StrCat("writing ", items.size(), " items"));
}

absl::StatusOr<ItemRecord> RocksDbFeatureStore::GetItem(const std::string& item_id) {
  if (item_id.empty()) return absl::InvalidArgumentError("GetItem: empty item id");
  absl::StatusOr<std::string> raw = GetRaw(kItems, item_id);
  if (!raw.ok()) return raw.status();
  absl::StatusOr<ItemInfo> info = DecodeItemInfo(*raw);
  if (!info.ok()) return Annotate(info.status(), kCfNames[kItems], item_id);
  return ItemRecord{item_id, *std::move(info)};
}

absl::Status RocksDbFeatureStore::SetStock(const std::string& item_id, bool in_stock) {
  if (item_id.empty()) return absl::InvalidArgumentError("SetStock: empty item id");
  absl::MutexLock lock(&ItemStripe(item_id));
  absl::StatusOr<std::string> raw = GetRaw(kItems, item_id);
  if (!raw.ok()) return raw.status();
  absl::StatusOr<ItemInfo> info = DecodeItemInfo(*raw);
  if (!info.ok()) return Annotate(info.status(), kCfNames[kItems], item_id);
  if (info->in_stock == in_stock) return absl::OkStatus();
  info->in_stock = in_stock;
  std::string value;
  EncodeItemInfo(*info, &value);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocks(db_->Put(write_options, handles_[kItems], item_id, value),
                   absl::StrCat("writing ", Where(kCfNames[kItems], item_id)));
}

absl::Status RocksDbFeatureStore::ForEachItem(
    absl::FunctionRef<absl::Status(const ItemRecord&)> fn) {
  rocksdb::ReadOptions read_options;
  // A full scan at start-up should not evict the blocks of hot users.
  read_options.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options, handles_[kItems]));
  ItemRecord record;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const std::string_view key(it->key().data(), it->key().size());
    absl::StatusOr<ItemInfo> info =
        DecodeItemInfo(std::string_view(it->value().data(), it->value().size()));
    if (!info.ok()) return Annotate(info.status(), kCfNames[kItems], key);
    record.item_id.assign(key);
    record.info = *std::move(info);
    if (absl::Status s = fn(record); !s.ok()) return s;
  }
  return FromRocks(it->status(), "scanning items");
}

// ---- Profiles and metadata --------------------------------------------------

absl::Status RocksDbFeatureStore::PutBlob(Cf cf, std::string_view key, std::string_view bytes) {
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat("empty key for ", kCfNames[cf]));
  std::string value;
  EncodeBlob(bytes, &value);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  return FromRocks(db_->Put(write_options, handles_[cf], ToSlice(key), value),
                   absl::StrCat("writing ", Where(kCfNames[cf], key)));
}

absl::StatusOr<std::string> RocksDbFeatureStore::GetBlob(Cf cf, std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError(absl::StrCat("empty key for ", kCfNames[cf]));
  absl::StatusOr<std::string> raw = GetRaw(cf, key);
  if (!raw.ok()) return raw.status();
  absl::StatusOr<std::string> bytes = DecodeBlob(*raw);
  if (!bytes.ok()) return Annotate(bytes.status(), kCfNames[cf], key);
  return bytes;
}

absl::Status RocksDbFeatureStore::ForgetUser(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("ForgetUser: empty user id");
  std::string when;
  EncodeBlob(absl::StrCat(absl::ToUnixSeconds(absl::Now())), &when);
  // One synced batch: the deletions and the record of them land together.
  rocksdb::WriteBatch batch;
  batch.Delete(handles_[kHistories], ToSlice(user_id));
  batch.Delete(handles_[kProfiles], ToSlice(user_id));
  batch.Put(handles_[kMeta], ToSlice(ForgottenUserKey(user_id)), when);
  rocksdb::WriteOptions write_options;
  write_options.sync = true;
  // Under the user's stripe: an append cannot interleave, and the cached
  // history goes with the write.
  absl::MutexLock lock(&HistoryStripe(user_id));
  absl::Status s = FromRocks(db_->Write(write_options, &batch), absl::StrCat("forgetting user ", user_id));
  if (cache_ != nullptr) cache_->Erase(user_id);
  return s;
}

absl::Status RocksDbFeatureStore::PutProfile(const std::string& user_id, std::string_view bytes) {
  return PutBlob(kProfiles, user_id, bytes);
}

absl::StatusOr<std::string> RocksDbFeatureStore::GetProfile(const std::string& user_id) {
  return GetBlob(kProfiles, user_id);
}

absl::Status RocksDbFeatureStore::PutMeta(const std::string& key, std::string_view value) {
  return PutBlob(kMeta, key, value);
}

absl::StatusOr<std::string> RocksDbFeatureStore::GetMeta(const std::string& key) {
  return GetBlob(kMeta, key);
}

// ---- Housekeeping -----------------------------------------------------------

absl::StatusOr<StoreCounts> RocksDbFeatureStore::ApproximateCounts() {
  uint64_t users = 0, items = 0;
  if (!db_->GetIntProperty(handles_[kHistories], "rocksdb.estimate-num-keys", &users) ||
      !db_->GetIntProperty(handles_[kItems], "rocksdb.estimate-num-keys", &items)) {
    return absl::InternalError("rocksdb.estimate-num-keys is unavailable");
  }
  return StoreCounts{static_cast<int64_t>(users), static_cast<int64_t>(items)};
}

absl::Status RocksDbFeatureStore::Flush() {
  if (absl::Status s = FromRocks(db_->FlushWAL(/*sync=*/true), "syncing the WAL"); !s.ok()) {
    return s;
  }
  // Writing memtables out keeps the next open from replaying a bulk load's
  // whole WAL.
  std::vector<rocksdb::ColumnFamilyHandle*> ours(handles_.begin(), handles_.begin() + kNumCfs);
  return FromRocks(db_->Flush(rocksdb::FlushOptions(), ours), "flushing memtables");
}

absl::Status RocksDbFeatureStore::TEST_PutRaw(std::string_view cf, std::string_view key,
                                              std::string_view value) {
  for (int i = 0; i < kNumCfs; ++i) {
    if (kCfNames[i] != absl::string_view(cf.data(), cf.size())) continue;
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    return FromRocks(db_->Put(write_options, handles_[i], ToSlice(key), ToSlice(value)),
                     "TEST_PutRaw");
  }
  return absl::InvalidArgumentError(absl::StrCat("no column family '", std::string(cf), "'"));
}

void RocksDbFeatureStore::TEST_ClearHistoryCache() {
  if (cache_ != nullptr) cache_->Clear();
}

absl::StatusOr<std::unique_ptr<FeatureStore>> OpenRocksDbFeatureStore(
    const RocksDbStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<RocksDbFeatureStore>> store = RocksDbFeatureStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<FeatureStore>(*std::move(store));
}

}  // namespace recd
