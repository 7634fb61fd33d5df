#ifndef RECD_STORE_HISTORY_CACHE_H_
#define RECD_STORE_HISTORY_CACHE_H_

#include <cstddef>
#include <cstdint>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "recd/feature_store.h"

namespace recd {

// A sharded LRU cache of decoded user histories, keyed by user id. Entries
// are immutable and shared: a lookup hands out a reference under the shard
// lock and the caller copies outside it, so a hit holds the lock for a hash
// probe and a list splice only.
//
// The cache itself does not know about the database. Coherence is the
// owner's job: RocksDbFeatureStore inserts the new history after every
// successful append while holding that user's stripe lock.
//
// Thread-safe.
class HistoryCache {
 public:
  using Entry = std::shared_ptr<const StoredHistory>;

  // `capacity` is the total number of users kept, split evenly over
  // `num_shards` shards (each keeps at least one).
  HistoryCache(size_t capacity, int num_shards);
  HistoryCache(const HistoryCache&) = delete;
  HistoryCache& operator=(const HistoryCache&) = delete;

  // Null on a miss.
  Entry Lookup(std::string_view user_id);
  // Inserts or replaces, evicting the shard's least recently used entry if
  // it is full.
  void Insert(std::string_view user_id, Entry entry);
  void Erase(std::string_view user_id);
  void Clear();

  size_t size() const;

 private:
  struct Shard {
    mutable absl::Mutex mu;
    // Most recently used first.
    std::list<std::pair<std::string, Entry>> lru ABSL_GUARDED_BY(mu);
    absl::flat_hash_map<std::string, std::list<std::pair<std::string, Entry>>::iterator> index
        ABSL_GUARDED_BY(mu);
  };

  Shard& ShardFor(std::string_view user_id);

  size_t per_shard_capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace recd

#endif  // RECD_STORE_HISTORY_CACHE_H_
