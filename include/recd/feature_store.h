#ifndef RECD_FEATURE_STORE_H_
#define RECD_FEATURE_STORE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "recd/dataset.h"

namespace recd {

// One stored interaction. Items are named by their EXTERNAL id: dense ids
// belong to one model version and change when models are retrained, while
// the store outlives every model version.
struct StoredEvent {
  std::string item_id;
  EventType type = EventType::kView;
  int64_t timestamp = 0;  // seconds since the epoch (or sequence position)

  friend bool operator==(const StoredEvent&, const StoredEvent&) = default;
};

// A user's recent events, oldest first (in the order they were appended;
// the store does not re-sort late arrivals by timestamp).
struct StoredHistory {
  std::vector<StoredEvent> events;
  // False when the store has never recorded an event for the user; `events`
  // is then empty.
  bool known = false;
  // The request ids of the newest appends that carried one, oldest first, at
  // most kRememberedRequestIds: a retried append whose id is here was
  // already applied and is skipped. Stored in the history's own value, so
  // the check is atomic with the append in every store.
  std::vector<std::string> applied_requests;

  friend bool operator==(const StoredHistory&, const StoredHistory&) = default;
};

// How many request ids each user's history remembers: a retry is recognised
// until the user has had this many later appends that carried ids.
inline constexpr size_t kRememberedRequestIds = 16;
// The longest request id a store accepts.
inline constexpr size_t kMaxRequestIdBytes = 128;

// The events of one user in a batch write.
struct UserEvents {
  std::string user_id;
  std::vector<StoredEvent> events;  // oldest first
  // Optional idempotency key (a client's id for the call, reused when it
  // retries). When non-empty and already among the user's applied_requests,
  // AppendEventsBatch skips this entry: a retry of an acknowledged call
  // (or of one whose acknowledgement was lost) writes nothing twice.
  std::string request_id = {};  // "= {}": {user, events} stays a complete brace initializer
};

// One catalog row, keyed by external item id.
struct ItemRecord {
  std::string item_id;
  ItemInfo info;
};

struct StoreWriteOptions {
  // When true (the default) the write is in the synced write-ahead log
  // before the call returns, so it survives a process or machine crash.
  // Bulk loaders pass false and call Flush() once at the end.
  bool sync = true;
};

// Approximate sizes, for logs and metrics. Implementations backed by an LSM
// may over- or under-count recently overwritten or deleted keys.
struct StoreCounts {
  int64_t users = 0;  // users with a stored history
  int64_t items = 0;  // catalog rows
};

// The feature store the serving daemon reads user histories, catalog facts
// and per-user model state from, and records new events into.
//
// All ids are external string ids and must be non-empty. Every method is
// thread-safe: implementations allow concurrent readers and writers, and a
// read-modify-write of one user's history (an append) is atomic against
// concurrent appends to the same user.
//
// Errors: InvalidArgument for bad input (empty id, unknown event type),
// NotFound for a missing item/profile/meta key, DataLoss naming the table and
// key for a stored value that cannot be decoded, and the underlying storage
// error otherwise.
// The meta key under which ForgetUser records a forgotten user (value: the
// time it was forgotten, decimal seconds since the epoch).
inline std::string ForgottenUserKey(std::string_view user_id) {
  return "forgotten/" + std::string(user_id);
}

// One stock change of a catalog item, by external id.
struct StockChange {
  std::string item_id;
  bool in_stock = true;

  friend bool operator==(const StockChange&, const StockChange&) = default;
};

// Catalog changes passed between the processes that share one store (recd
// replicas on one Redis), so each applies the others' stock changes to its
// in-memory catalog within a second. Publishers write the store first, then
// publish; a change published is therefore in the store for any process that
// loads the catalog later. Thread-safe.
class CatalogFeed {
 public:
  virtual ~CatalogFeed() = default;
  virtual absl::Status Publish(std::span<const StockChange> changes) = 0;
  // A cursor at the newest change published so far (take it before reading
  // the catalog from the store, so nothing published after falls between).
  virtual absl::StatusOr<std::string> Tail() = 0;
  // The changes published after *cursor, oldest first, waiting up to `wait`
  // when there are none yet; moves *cursor past them. At most `max` changes.
  virtual absl::StatusOr<std::vector<StockChange>> Poll(std::string* cursor, absl::Duration wait, size_t max) = 0;
};

class FeatureStore {
 public:
  FeatureStore() = default;
  FeatureStore(const FeatureStore&) = delete;
  FeatureStore& operator=(const FeatureStore&) = delete;
  virtual ~FeatureStore() = default;

  // ---- Histories -----------------------------------------------------------

  // Appends `events` (oldest first) to the user's history, keeping only the
  // newest max_history events. Durable when it returns OK (synced WAL): the
  // daemon acknowledges RecordEvents only after this returns. Appending no
  // events is a no-op and does not make the user known.
  virtual absl::Status AppendEvents(const std::string& user_id,
                                    std::span<const StoredEvent> events) = 0;

  // Appends the events of many users in one atomic write batch. A user may
  // appear more than once; its entries are applied in order. An entry whose
  // request_id the user's history already holds is skipped (see UserEvents),
  // as is a later entry of the same batch with the same user and id. With
  // options.sync == false the batch may be lost in a crash until Flush().
  virtual absl::Status AppendEventsBatch(std::span<const UserEvents> batch,
                                         const StoreWriteOptions& options) = 0;

  // Sets each listed user's history to its `events` (oldest first, the
  // newest max_history kept), whatever was stored before, in one atomic
  // write batch. For loaders that must be idempotent: a seed interrupted by
  // a crash and run again leaves every user as one clean run would, where
  // AppendEventsBatch would double the histories written before the crash.
  // A user with no events is left as it is. InvalidArgument if a user
  // appears twice.
  virtual absl::Status ReplaceHistoriesBatch(std::span<const UserEvents> batch,
                                             const StoreWriteOptions& options) = 0;

  // The user's history, oldest first. An unknown user is not an error: the
  // result is empty with known == false.
  virtual absl::StatusOr<StoredHistory> GetHistory(const std::string& user_id) = 0;

  // Erases the user (a customer's request to be forgotten): their history
  // and profile are deleted, durably when it returns OK, and the id is
  // recorded with the time in the meta table under ForgottenUserKey(id), so
  // exports and training from the store can leave the user out. Events
  // recorded later start a new history. OK for an unknown user too (the id
  // is recorded all the same).
  virtual absl::Status ForgetUser(const std::string& user_id) = 0;

  // Calls `fn` for every user with a stored history (forgotten users have
  // none), in user id byte order, on a consistent snapshot: what training
  // from the store reads. Stops at, and returns, the first non-OK status
  // from `fn`. Default: Unimplemented (the Redis store has no ordered scan).
  virtual absl::Status ForEachHistory(
      absl::FunctionRef<absl::Status(const std::string& user_id, const StoredHistory& history)> fn);

  // ---- Catalog -------------------------------------------------------------

  // Non-null when other processes may share this store and change its
  // catalog (Redis): their stock changes arrive through it. Owned by the
  // store. Default: null (an embedded store has no other writers).
  virtual CatalogFeed* catalog_feed() { return nullptr; }

  // Inserts or replaces catalog rows (keyed by item_id).
  virtual absl::Status PutItems(std::span<const ItemRecord> items,
                                const StoreWriteOptions& options) = 0;

  // NotFound if the item has no catalog row.
  virtual absl::StatusOr<ItemRecord> GetItem(const std::string& item_id) = 0;

  // Updates only the in_stock flag of an existing row; NotFound if the item
  // has no catalog row. Durable when it returns OK.
  virtual absl::Status SetStock(const std::string& item_id, bool in_stock) = 0;

  // Calls `fn` for every catalog row, in item id byte order, on a consistent
  // snapshot. Stops at, and returns, the first non-OK status from `fn`.
  virtual absl::Status ForEachItem(absl::FunctionRef<absl::Status(const ItemRecord&)> fn) = 0;

  // ---- Per-user model state and store metadata -----------------------------

  // Opaque per-user model state (e.g. a serialized recurrent hidden state).
  virtual absl::Status PutProfile(const std::string& user_id, std::string_view bytes) = 0;
  // NotFound if none was stored.
  virtual absl::StatusOr<std::string> GetProfile(const std::string& user_id) = 0;

  // Small string facts about the store ("schema_version", "seeded_from").
  virtual absl::Status PutMeta(const std::string& key, std::string_view value) = 0;
  // NotFound if the key was never set.
  virtual absl::StatusOr<std::string> GetMeta(const std::string& key) = 0;

  // ---- Housekeeping --------------------------------------------------------

  virtual absl::StatusOr<StoreCounts> ApproximateCounts() = 0;

  // Makes every write accepted so far durable, including unsynced batches.
  virtual absl::Status Flush() = 0;
};

inline absl::Status FeatureStore::ForEachHistory(
    absl::FunctionRef<absl::Status(const std::string& user_id, const StoredHistory& history)>) {
  return absl::UnimplementedError("this feature store cannot list its histories (train from a RocksDB store)");
}

}  // namespace recd

#endif  // RECD_FEATURE_STORE_H_
