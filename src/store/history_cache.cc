#include "store/history_cache.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace recd {

HistoryCache::HistoryCache(size_t capacity, int num_shards) {
  const size_t shards = static_cast<size_t>(std::max(1, num_shards));
  per_shard_capacity_ = std::max<size_t>(1, (capacity + shards - 1) / shards);
  shards_.reserve(shards);
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

HistoryCache::Shard& HistoryCache::ShardFor(std::string_view user_id) {
  const size_t h =
      absl::Hash<absl::string_view>()(absl::string_view(user_id.data(), user_id.size()));
  return *shards_[h % shards_.size()];
}

HistoryCache::Entry HistoryCache::Lookup(std::string_view user_id) {
  Shard& shard = ShardFor(user_id);
  absl::MutexLock lock(&shard.mu);
  auto it = shard.index.find(absl::string_view(user_id.data(), user_id.size()));
  if (it == shard.index.end()) return nullptr;
  shard.lru.splice(shard.lru.begin(), shard.lru, it->second);
  return it->second->second;
}

void HistoryCache::Insert(std::string_view user_id, Entry entry) {
  Shard& shard = ShardFor(user_id);
  // The evicted entry is destroyed after the lock is released: freeing a
  // 200-event history is not work to do while other readers wait.
  Entry evicted;
  absl::MutexLock lock(&shard.mu);
  auto it = shard.index.find(absl::string_view(user_id.data(), user_id.size()));
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
  shard.lru.emplace_front(std::string(user_id), std::move(entry));
  shard.index.emplace(shard.lru.front().first, shard.lru.begin());
}

void HistoryCache::Erase(std::string_view user_id) {
  Shard& shard = ShardFor(user_id);
  Entry evicted;
  absl::MutexLock lock(&shard.mu);
  auto it = shard.index.find(absl::string_view(user_id.data(), user_id.size()));
  if (it == shard.index.end()) return;
  evicted = std::move(it->second->second);
  shard.lru.erase(it->second);
  shard.index.erase(it);
}

void HistoryCache::Clear() {
  for (auto& shard : shards_) {
    std::list<std::pair<std::string, Entry>> dropped;
    absl::MutexLock lock(&shard->mu);
    shard->index.clear();
    dropped.swap(shard->lru);
  }
}

size_t HistoryCache::size() const {
  size_t n = 0;
  for (const auto& shard : shards_) {
    absl::MutexLock lock(&shard->mu);
    n += shard->lru.size();
  }
  return n;
}

}  // namespace recd
