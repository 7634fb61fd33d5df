#include "store/redis/redis_feature_store.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/strings/str_join.h"
#include "spdlog/spdlog.h"
#include "store/history_merge.h"
#include "store/redis/key_slot.h"
#include "store/stripe_locks.h"
#include "store/value_codec.h"
#include "util/field_errors.h"

namespace recd {
namespace {

// Sets KEYS[1] (or its hash field ARGV[1] when not empty) to ARGV[3] only if
// it still holds ARGV[2] ('' = absent: stored values are never empty, they
// start with a format byte). 0 = changed meanwhile, 1 = set, 2 = created.
constexpr char kCompareAndSet[] = R"lua(
local cur
if ARGV[1] == '' then cur = redis.call('GET', KEYS[1]) else cur = redis.call('HGET', KEYS[1], ARGV[1]) end
if not cur then cur = '' end
if cur ~= ARGV[2] then return 0 end
if ARGV[1] == '' then redis.call('SET', KEYS[1], ARGV[3]) else redis.call('HSET', KEYS[1], ARGV[1], ARGV[3]) end
if ARGV[2] == '' then return 2 end
return 1
)lua";

// Sets KEYS[1] to ARGV[1]; 1 if it existed before, else 0.
constexpr char kSetCountingNew[] = R"lua(
local existed = redis.call('EXISTS', KEYS[1])
redis.call('SET', KEYS[1], ARGV[1])
return existed
)lua";

// An error reply as a status naming `what`. Failover, loading, memory and
// replication trouble is Unavailable (retry later); a value of the wrong
// type is DataLoss; anything else Internal.
absl::Status ReplyStatus(const RedisReply& r, std::string_view what) {
  if (!r.is_error()) return absl::OkStatus();
  std::string msg = absl::StrCat("redis store, ", std::string(what), ": ", r.str);
  if (absl::StartsWith(r.str, "WRONGTYPE")) return absl::DataLossError(msg);
  for (const char* transient : {"LOADING", "READONLY", "MASTERDOWN", "NOREPLICAS", "OOM", "BUSY",
                                "CLUSTERDOWN", "TRYAGAIN", "EXECABORT"}) {
    if (absl::StartsWith(r.str, transient)) return absl::UnavailableError(msg);
  }
  return absl::InternalError(msg);
}

// The decoder's DataLoss, prefixed with the key it came from.
absl::Status Annotate(const absl::Status& s, std::string_view where) {
  return absl::Status(s.code(), absl::StrCat("redis store ", std::string(where), ": ", s.message()));
}

absl::StatusOr<StoredHistory> DecodeStored(const RedisReply& r, std::string_view user_id) {
  if (r.type == RedisReply::Type::kNil) return StoredHistory{};
  if (r.type != RedisReply::Type::kString) {
    return absl::DataLossError(absl::StrCat("redis store, history of ", Quoted(user_id), ": not a string"));
  }
  absl::StatusOr<StoredHistory> decoded = DecodeHistory(r.str);
  if (!decoded.ok()) return Annotate(decoded.status(), absl::StrCat("history of ", Quoted(user_id)));
  return decoded;
}

// An item row as HGET returned it: NotFound when there is none.
absl::StatusOr<ItemInfo> DecodeItemReply(const RedisReply& r, std::string_view item_id) {
  if (r.type != RedisReply::Type::kString) {
    return absl::NotFoundError(absl::StrCat("redis store: item ", Quoted(item_id), " not found"));
  }
  absl::StatusOr<ItemInfo> info = DecodeItemInfo(r.str);
  if (!info.ok()) return Annotate(info.status(), absl::StrCat("item ", Quoted(item_id)));
  return info;
}

RedisCommand CasCommand(const std::string& key, std::string_view field, std::string_view old_value,
                        std::string new_value) {
  return {"EVAL", kCompareAndSet, "1", key, std::string(field), std::string(old_value), std::move(new_value)};
}

}  // namespace

absl::StatusOr<std::unique_ptr<RedisFeatureStore>> RedisFeatureStore::Open(const Options& options) {
  if (options.nodes.empty()) return absl::InvalidArgumentError("redis store: no nodes given");
  if (options.max_history <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("redis store: max_history must be positive, got ", options.max_history));
  }
  if (options.key_prefix.find_first_of("{}") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("redis store: key prefix ", Quoted(options.key_prefix), " must not contain '{' or '}'"));
  }
  if (options.wait_replicas < 0) return absl::InvalidArgumentError("redis store: wait_replicas must be >= 0");
  if (options.connect_timeout_ms < 1 || options.command_timeout_ms < 1 || options.wait_timeout_ms < 1) {
    return absl::InvalidArgumentError("redis store: timeouts must be >= 1 ms");
  }
  if (options.wait_timeout_ms >= options.command_timeout_ms) {
    return absl::InvalidArgumentError(absl::StrCat("redis store: wait_timeout_ms (", options.wait_timeout_ms,
                                                   ") must be below command_timeout_ms (",
                                                   options.command_timeout_ms, ")"));
  }
  RedisClusterClient::Options client_options;
  client_options.nodes = options.nodes;
  client_options.connect_timeout = absl::Milliseconds(options.connect_timeout_ms);
  client_options.command_timeout = absl::Milliseconds(options.command_timeout_ms);
  client_options.pool_size = options.pool_size;
  absl::StatusOr<std::unique_ptr<RedisClusterClient>> client = RedisClusterClient::Create(client_options);
  if (!client.ok()) return client.status();
  spdlog::info("redis store: {} ({}), key prefix {}", absl::StrJoin(options.nodes, ","),
               (*client)->cluster_mode() ? "cluster" : "standalone", options.key_prefix);
  return std::unique_ptr<RedisFeatureStore>(new RedisFeatureStore(options, *std::move(client)));
}

RedisFeatureStore::RedisFeatureStore(const Options& options, std::unique_ptr<RedisClusterClient> client)
    : options_(options),
      client_(std::move(client)),
      items_key_(absl::StrCat(options.key_prefix, ":items")),
      meta_key_(absl::StrCat(options.key_prefix, ":meta")),
      users_key_(absl::StrCat(options.key_prefix, ":users")),
      feed_(client_.get(), absl::StrCat(options.key_prefix, ":catalog")) {}

std::string RedisFeatureStore::HistoryKey(std::string_view user_id) const {
  return absl::StrCat(options_.key_prefix, ":{u:", std::string(user_id), "}:h");
}

std::string RedisFeatureStore::ProfileKey(std::string_view user_id) const {
  return absl::StrCat(options_.key_prefix, ":{u:", std::string(user_id), "}:p");
}

RedisClusterClient::WriteConcern RedisFeatureStore::Concern(bool sync) const {
  RedisClusterClient::WriteConcern c;
  if (sync) c.replicas = options_.wait_replicas;
  c.timeout = absl::Milliseconds(options_.wait_timeout_ms);
  return c;
}

absl::StatusOr<RedisReply> RedisFeatureStore::One(std::string_view key, RedisCommand command, bool write) {
  const std::string what = absl::StrCat(command[0], " ", Quoted(key));
  absl::StatusOr<std::vector<RedisReply>> r =
      client_->Execute(RedisKeySlot(key), {&command, 1}, write ? Concern(true) : RedisClusterClient::WriteConcern{});
  if (!r.ok()) return r.status();
  if (absl::Status s = ReplyStatus((*r)[0], what); !s.ok()) return s;
  return std::move((*r)[0]);
}

absl::Status RedisFeatureStore::CountNewUsers(int64_t n) {
  if (n == 0) return absl::OkStatus();
  return One(users_key_, {"INCRBY", users_key_, absl::StrCat(n)}, false).status();
}

// ---- Histories --------------------------------------------------------------

// `old` with each entry applied in order; nullptr when none changes it (every
// request id already applied).
std::shared_ptr<const StoredHistory> RedisFeatureStore::ApplyEntries(const StoredHistory& old,
                                                                    std::span<const UserEvents* const> entries) const {
  std::shared_ptr<const StoredHistory> merged;
  for (const UserEvents* entry : entries) {
    if (auto next = MergeEntry(merged ? *merged : old, *entry, options_.max_history)) merged = std::move(next);
  }
  return merged;
}

absl::Status RedisFeatureStore::AppendLocked(const std::string& user_id, std::span<const UserEvents* const> entries) {
  const std::string key = HistoryKey(user_id);
  for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
    absl::StatusOr<RedisReply> raw = One(key, {"GET", key}, false);
    if (!raw.ok()) return raw.status();
    absl::StatusOr<StoredHistory> old = DecodeStored(*raw, user_id);
    if (!old.ok()) return old.status();
    std::shared_ptr<const StoredHistory> merged = ApplyEntries(*old, entries);
    if (merged == nullptr) return absl::OkStatus();  // retries of applied requests
    std::string value;
    EncodeHistory(*merged, &value);
    absl::StatusOr<RedisReply> set = One(key, CasCommand(key, "", raw->str, std::move(value)), true);
    if (!set.ok()) return set.status();
    if (set->integer == 0) continue;  // another replica appended meanwhile
    return set->integer == 2 ? CountNewUsers(1) : absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("redis store: the history of ", Quoted(user_id), " changed under ",
                                             kMaxCasAttempts, " appends in a row; try again"));
}

absl::Status RedisFeatureStore::AppendEvents(const std::string& user_id, std::span<const StoredEvent> events) {
  if (absl::Status s = ValidateAppend(user_id, events); !s.ok()) return s;
  if (events.empty()) return absl::OkStatus();
  const UserEvents entry{user_id, {events.begin(), events.end()}, {}};
  const UserEvents* entries[] = {&entry};
  absl::MutexLock lock(&history_stripes_[StripeOf(user_id, kLockStripes)]);
  return AppendLocked(user_id, entries);
}

absl::Status RedisFeatureStore::AppendEventsBatch(std::span<const UserEvents> batch, const StoreWriteOptions& options) {
  // Each user's entries, in batch order.
  std::vector<std::pair<std::string_view, std::vector<const UserEvents*>>> users;
  absl::flat_hash_map<std::string_view, size_t> index;
  for (const UserEvents& u : batch) {
    if (absl::Status s = ValidateEntry(u); !s.ok()) return s;
    if (u.events.empty()) continue;
    auto [it, inserted] = index.try_emplace(u.user_id, users.size());
    if (inserted) users.push_back({u.user_id, {}});
    users[it->second].second.push_back(&u);
  }
  if (users.empty()) return absl::OkStatus();
  std::vector<std::string_view> ids;
  for (const auto& [user, entries] : users) ids.push_back(user);
  StripeLocks locks(history_stripes_, ids);

  // One pipelined round of GETs and one of compare-and-sets for the whole
  // batch; a user that another replica changed in between goes through the
  // single-user path.
  std::vector<SlotCommand> gets;
  gets.reserve(users.size());
  for (const auto& [user, entries] : users) {
    std::string key = HistoryKey(user);
    gets.push_back({RedisKeySlot(key), {"GET", std::move(key)}});
  }
  absl::StatusOr<std::vector<RedisReply>> olds = client_->ExecuteMany(gets, {});
  if (!olds.ok()) return olds.status();
  std::vector<SlotCommand> sets;
  std::vector<size_t> set_user;  // sets[j] writes users[set_user[j]]
  for (size_t i = 0; i < users.size(); ++i) {
    if (absl::Status s = ReplyStatus((*olds)[i], "GET " + Quoted(gets[i].command[1])); !s.ok()) return s;
    absl::StatusOr<StoredHistory> old = DecodeStored((*olds)[i], users[i].first);
    if (!old.ok()) return old.status();
    std::shared_ptr<const StoredHistory> merged = ApplyEntries(*old, users[i].second);
    if (merged == nullptr) continue;  // retries of applied requests
    std::string value;
    EncodeHistory(*merged, &value);
    sets.push_back({gets[i].slot, CasCommand(gets[i].command[1], "", (*olds)[i].str, std::move(value))});
    set_user.push_back(i);
  }
  if (sets.empty()) return absl::OkStatus();
  absl::StatusOr<std::vector<RedisReply>> replies = client_->ExecuteMany(sets, Concern(options.sync));
  if (!replies.ok()) return replies.status();
  int64_t created = 0;
  for (size_t j = 0; j < sets.size(); ++j) {
    const RedisReply& r = (*replies)[j];
    if (absl::Status s = ReplyStatus(r, "EVAL " + Quoted(sets[j].command[3])); !s.ok()) return s;
    if (r.integer == 2) ++created;
    if (r.integer != 0) continue;
    const auto& [user, entries] = users[set_user[j]];
    if (absl::Status s = AppendLocked(std::string(user), entries); !s.ok()) return s;
  }
  return CountNewUsers(created);
}

absl::Status RedisFeatureStore::ReplaceHistoriesBatch(std::span<const UserEvents> batch,
                                                      const StoreWriteOptions& options) {
  if (absl::Status s = ValidateReplace(batch); !s.ok()) return s;
  static const StoredHistory kEmpty;
  std::vector<std::string_view> ids;
  std::vector<SlotCommand> commands;
  for (const UserEvents& u : batch) {
    if (u.events.empty()) continue;
    ids.push_back(u.user_id);
    std::string value;
    EncodeHistory(MergeHistory(kEmpty, u.events, options_.max_history)->events, &value);
    std::string key = HistoryKey(u.user_id);
    const int slot = RedisKeySlot(key);
    commands.push_back({slot, {"EVAL", kSetCountingNew, "1", std::move(key), std::move(value)}});
  }
  if (commands.empty()) return absl::OkStatus();
  StripeLocks locks(history_stripes_, ids);
  absl::StatusOr<std::vector<RedisReply>> r = client_->ExecuteMany(commands, Concern(options.sync));
  if (!r.ok()) return r.status();
  int64_t created = 0;
  for (size_t i = 0; i < commands.size(); ++i) {
    if (absl::Status s = ReplyStatus((*r)[i], "EVAL " + Quoted(commands[i].command[3])); !s.ok()) return s;
    if ((*r)[i].integer == 0) ++created;
  }
  return CountNewUsers(created);
}

absl::StatusOr<StoredHistory> RedisFeatureStore::GetHistory(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("GetHistory: empty user id");
  const std::string key = HistoryKey(user_id);
  absl::StatusOr<RedisReply> raw = One(key, {"GET", key}, false);
  if (!raw.ok()) return raw.status();
  return DecodeStored(*raw, user_id);
}

// ---- Catalog ----------------------------------------------------------------

absl::Status RedisFeatureStore::PutItems(std::span<const ItemRecord> items, const StoreWriteOptions& options) {
  for (size_t i = 0; i < items.size(); ++i) {
    if (items[i].item_id.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("PutItems: item ", i, " has an empty id"));
    }
  }
  if (items.empty()) return absl::OkStatus();
  // One transaction: a failure writes none of the rows, as in RocksDB.
  std::vector<RedisCommand> commands = {{"MULTI"}};
  std::string value;
  for (size_t begin = 0; begin < items.size(); begin += kPage) {
    RedisCommand hset = {"HSET", items_key_};
    for (size_t i = begin; i < std::min(items.size(), begin + kPage); ++i) {
      EncodeItemInfo(items[i].info, &value);
      hset.push_back(items[i].item_id);
      hset.push_back(value);
    }
    commands.push_back(std::move(hset));
  }
  commands.push_back({"EXEC"});
  absl::StatusOr<std::vector<RedisReply>> r =
      client_->Execute(RedisKeySlot(items_key_), commands, Concern(options.sync));
  if (!r.ok()) return r.status();
  const std::string what = absl::StrCat("writing ", items.size(), " items to ", Quoted(items_key_));
  for (const RedisReply& reply : *r) {
    if (absl::Status s = ReplyStatus(reply, what); !s.ok()) return s;
  }
  if (r->back().type != RedisReply::Type::kArray) {
    return absl::UnavailableError(absl::StrCat("redis store, ", what, ": transaction aborted"));
  }
  for (const RedisReply& reply : r->back().elements) {
    if (absl::Status s = ReplyStatus(reply, what); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<ItemRecord> RedisFeatureStore::GetItem(const std::string& item_id) {
  if (item_id.empty()) return absl::InvalidArgumentError("GetItem: empty item id");
  absl::StatusOr<RedisReply> raw = One(items_key_, {"HGET", items_key_, item_id}, false);
  if (!raw.ok()) return raw.status();
  absl::StatusOr<ItemInfo> info = DecodeItemReply(*raw, item_id);
  if (!info.ok()) return info.status();
  return ItemRecord{item_id, *std::move(info)};
}

absl::Status RedisFeatureStore::SetStock(const std::string& item_id, bool in_stock) {
  if (item_id.empty()) return absl::InvalidArgumentError("SetStock: empty item id");
  for (int attempt = 0; attempt < kMaxCasAttempts; ++attempt) {
    absl::StatusOr<RedisReply> raw = One(items_key_, {"HGET", items_key_, item_id}, false);
    if (!raw.ok()) return raw.status();
    absl::StatusOr<ItemInfo> info = DecodeItemReply(*raw, item_id);
    if (!info.ok()) return info.status();
    if (info->in_stock == in_stock) return absl::OkStatus();
    info->in_stock = in_stock;
    std::string value;
    EncodeItemInfo(*info, &value);
    absl::StatusOr<RedisReply> set = One(items_key_, CasCommand(items_key_, item_id, raw->str, std::move(value)), true);
    if (!set.ok()) return set.status();
    if (set->integer != 0) return absl::OkStatus();
  }
  return absl::UnavailableError(absl::StrCat("redis store: item ", Quoted(item_id), " changed under ",
                                             kMaxCasAttempts, " stock updates in a row; try again"));
}

absl::Status RedisFeatureStore::ForEachItem(absl::FunctionRef<absl::Status(const ItemRecord&)> fn) {
  absl::StatusOr<RedisReply> keys = One(items_key_, {"HKEYS", items_key_}, false);
  if (!keys.ok()) return keys.status();
  std::vector<std::string> ids;
  ids.reserve(keys->elements.size());
  for (RedisReply& k : keys->elements) ids.push_back(std::move(k.str));
  std::sort(ids.begin(), ids.end());
  ItemRecord record;
  for (size_t begin = 0; begin < ids.size(); begin += kPage) {
    const size_t end = std::min(ids.size(), begin + kPage);
    RedisCommand hmget = {"HMGET", items_key_};
    hmget.insert(hmget.end(), ids.begin() + begin, ids.begin() + end);
    absl::StatusOr<RedisReply> rows = One(items_key_, std::move(hmget), false);
    if (!rows.ok()) return rows.status();
    if (rows->elements.size() != end - begin) {
      return absl::InternalError(absl::StrCat("redis store: HMGET ", Quoted(items_key_), " returned ",
                                              rows->elements.size(), " rows for ", end - begin, " ids"));
    }
    for (size_t i = begin; i < end; ++i) {
      const RedisReply& row = rows->elements[i - begin];
      if (row.type != RedisReply::Type::kString) continue;  // gone since HKEYS
      absl::StatusOr<ItemInfo> info = DecodeItemInfo(row.str);
      if (!info.ok()) return Annotate(info.status(), absl::StrCat("item ", Quoted(ids[i])));
      record.item_id = ids[i];
      record.info = *std::move(info);
      if (absl::Status s = fn(record); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

// ---- Profiles and metadata --------------------------------------------------

absl::Status RedisFeatureStore::ForgetUser(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("ForgetUser: empty user id");
  // The record first: the user's keys and the meta hash live in different
  // slots, so a failure between the two leaves the id recorded and a retry
  // finishes the deletion, never a deletion nobody knows of.
  if (absl::Status s = PutMeta(ForgottenUserKey(user_id), absl::StrCat(absl::ToUnixSeconds(absl::Now())));
      !s.ok()) {
    return s;
  }
  absl::MutexLock lock(&history_stripes_[StripeOf(user_id, kLockStripes)]);
  const std::string history = HistoryKey(user_id);
  absl::StatusOr<RedisReply> deleted = One(history, {"DEL", history, ProfileKey(user_id)}, true);
  if (!deleted.ok()) return deleted.status();
  return absl::OkStatus();
}

absl::Status RedisFeatureStore::PutProfile(const std::string& user_id, std::string_view bytes) {
  if (user_id.empty()) return absl::InvalidArgumentError("PutProfile: empty user id");
  std::string value;
  EncodeBlob(bytes, &value);
  const std::string key = ProfileKey(user_id);
  return One(key, {"SET", key, std::move(value)}, true).status();
}

absl::StatusOr<std::string> RedisFeatureStore::GetProfile(const std::string& user_id) {
  if (user_id.empty()) return absl::InvalidArgumentError("GetProfile: empty user id");
  const std::string key = ProfileKey(user_id);
  absl::StatusOr<RedisReply> raw = One(key, {"GET", key}, false);
  if (!raw.ok()) return raw.status();
  if (raw->type != RedisReply::Type::kString) {
    return absl::NotFoundError(absl::StrCat("redis store: profile of ", Quoted(user_id), " not found"));
  }
  absl::StatusOr<std::string> bytes = DecodeBlob(raw->str);
  if (!bytes.ok()) return Annotate(bytes.status(), absl::StrCat("profile of ", Quoted(user_id)));
  return bytes;
}

absl::Status RedisFeatureStore::PutMeta(const std::string& key, std::string_view value) {
  if (key.empty()) return absl::InvalidArgumentError("PutMeta: empty key");
  std::string encoded;
  EncodeBlob(value, &encoded);
  return One(meta_key_, {"HSET", meta_key_, key, std::move(encoded)}, true).status();
}

absl::StatusOr<std::string> RedisFeatureStore::GetMeta(const std::string& key) {
  if (key.empty()) return absl::InvalidArgumentError("GetMeta: empty key");
  absl::StatusOr<RedisReply> raw = One(meta_key_, {"HGET", meta_key_, key}, false);
  if (!raw.ok()) return raw.status();
  if (raw->type != RedisReply::Type::kString) {
    return absl::NotFoundError(absl::StrCat("redis store: meta ", Quoted(key), " not found"));
  }
  absl::StatusOr<std::string> bytes = DecodeBlob(raw->str);
  if (!bytes.ok()) return Annotate(bytes.status(), absl::StrCat("meta ", Quoted(key)));
  return bytes;
}

// ---- Housekeeping -----------------------------------------------------------

absl::StatusOr<StoreCounts> RedisFeatureStore::ApproximateCounts() {
  absl::StatusOr<RedisReply> users = One(users_key_, {"GET", users_key_}, false);
  if (!users.ok()) return users.status();
  absl::StatusOr<RedisReply> items = One(items_key_, {"HLEN", items_key_}, false);
  if (!items.ok()) return items.status();
  StoreCounts counts;
  if (users->type == RedisReply::Type::kString && !absl::SimpleAtoi(users->str, &counts.users)) {
    return absl::DataLossError(absl::StrCat("redis store: ", Quoted(users_key_), " is not an integer"));
  }
  counts.items = items->integer;
  return counts;
}

absl::Status RedisFeatureStore::Flush() {
  // Every write was in the primaries' append-only files when it returned.
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<FeatureStore>> OpenRedisFeatureStore(const RedisStoreOptions& options) {
  absl::StatusOr<std::unique_ptr<RedisFeatureStore>> store = RedisFeatureStore::Open(options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<FeatureStore>(*std::move(store));
}

}  // namespace recd
