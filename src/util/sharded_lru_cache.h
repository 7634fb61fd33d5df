#ifndef RECD_UTIL_SHARDED_LRU_CACHE_H_
#define RECD_UTIL_SHARDED_LRU_CACHE_H_

#include <algorithm>
#include <cstddef>
#include <list>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/synchronization/mutex.h"

namespace recd {

// A sharded LRU cache of immutable shared values keyed by a string (a user
// id). A lookup hands out a reference under the shard lock, so a hit holds
// the lock for a hash probe and a list splice only; evicted values are freed
// after the lock is released.
//
// The cache knows nothing of where values come from: coherence is the
// owner's job. Thread-safe.
template <typename Value>
class ShardedLruCache {
 public:
  using Entry = std::shared_ptr<const Value>;

  // `capacity` is the total number of keys kept, split evenly over
  // `num_shards` shards (each keeps at least one).
  ShardedLruCache(size_t capacity, int num_shards) {
    const size_t shards = static_cast<size_t>(std::max(1, num_shards));
    per_shard_capacity_ = std::max<size_t>(1, (capacity + shards - 1) / shards);
    shards_.reserve(shards);
    for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
  }
  ShardedLruCache(const ShardedLruCache&) = delete;
  ShardedLruCache& operator=(const ShardedLruCache&) = delete;

  // Null on a miss.
  Entry Lookup(std::string_view key) {
    Shard& shard = ShardFor(key);
    absl::MutexLock lock(&shard.mu);
    auto it = shard.index.find(absl::string_view(key.data(), key.size()));
    if (it == shard.index.end()) return nullptr;
    shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
    return it->second->second;
  }

  // Inserts or replaces, evicting the shard's least recently used entry if
  // it is full.
  void Insert(std::string_view key, Entry entry) {
    Shard& shard = ShardFor(key);
    Entry evicted;  // destroyed after the lock is released
    absl::MutexLock lock(&shard.mu);
    auto it = shard.index.find(absl::string_view(key.data(), key.size()));
    if (it != shard.index.end()) {
      evicted = std::move(it->second->second);
      it->second->second = std::move(entry);
      shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
      return;
    }
    if (shard.lru.size() >= per_shard_capacity_) {
      auto& last = shard.lru.back();
      evicted = std::move(last.second);
      shard.index.erase(last.first);
      shard.lru.pop_back();
    }
    shard.lru.emplace_front(std::string(key), std::move(entry));
    shard.index.emplace(shard.lru.front().first, shard.lru.begin());
  }

  void Erase(std::string_view key) {
    Shard& shard = ShardFor(key);
    Entry evicted;
    absl::MutexLock lock(&shard.mu);
    auto it = shard.index.find(absl::string_view(key.data(), key.size()));
    if (it == shard.index.end()) return;
    evicted = std::move(it->second->second);
    shard.lru.erase(it->second);
    shard.index.erase(it);
  }

  void Clear() {
    for (auto& shard : shards_) {
      std::list<std::pair<std::string, Entry>> dropped;
      absl::MutexLock lock(&shard->mu);
      shard->index.clear();
      dropped.swap(shard->lru);
    }
  }

  // Up to `n` keys, the most recently used of each shard first, taken from
  // the shards in turn (so roughly the n most recent overall). For warming
  // a replacement of what the entries were computed from.
  std::vector<std::string> RecentKeys(size_t n) const {
    std::vector<std::vector<std::string>> per_shard(shards_.size());
    const size_t each = (n + shards_.size() - 1) / std::max<size_t>(1, shards_.size());
    for (size_t i = 0; i < shards_.size(); ++i) {
      absl::MutexLock lock(&shards_[i]->mu);
      for (auto it = shards_[i]->lru.begin(); it != shards_[i]->lru.end() && per_shard[i].size() < each; ++it) {
        per_shard[i].push_back(it->first);
      }
    }
    std::vector<std::string> keys;
    for (size_t rank = 0; rank < each && keys.size() < n; ++rank) {
      for (size_t i = 0; i < per_shard.size() && keys.size() < n; ++i) {
        if (rank < per_shard[i].size()) keys.push_back(std::move(per_shard[i][rank]));
      }
    }
    return keys;
  }

  size_t size() const {
    size_t n = 0;
    for (const auto& shard : shards_) {
      absl::MutexLock lock(&shard->mu);
      n += shard->lru.size();
    }
    return n;
  }

 private:
  using List = std::list<std::pair<std::string, Entry>>;
  struct Shard {
    mutable absl::Mutex mu;
    List lru ABSL_GUARDED_BY(mu);  // most recently used first
    absl::flat_hash_map<std::string, typename List::iterator> index ABSL_GUARDED_BY(mu);
  };

  Shard& ShardFor(std::string_view key) {
    const size_t h = absl::Hash<absl::string_view>()(absl::string_view(key.data(), key.size()));
    return *shards_[h % shards_.size()];
  }

  size_t per_shard_capacity_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace recd

#endif  // RECD_UTIL_SHARDED_LRU_CACHE_H_
