#include "abuse/event_rate_limiter.h"

#include <algorithm>

#include "absl/hash/hash.h"

namespace recd {

EventRateLimiter::EventRateLimiter(const Options& options) {
  const size_t shards = static_cast<size_t>(std::max(1, options.shards));
  per_shard_keys_ = std::max<size_t>(1, (options.max_keys + shards - 1) / shards);
  for (size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

EventRateLimiter::Shard& EventRateLimiter::ShardFor(absl::string_view key) {
  return *shards_[absl::HashOf(key) % shards_.size()];
}

void EventRateLimiter::MakeRoom(Shard& shard, double capacity, absl::Time now) {
  // Buckets refilled by now carry no state. The limit of each key is not
  // stored, so `capacity` (this call's) stands for all: at worst a key with
  // a larger limit is dropped early and starts full, which errs open.
  absl::erase_if(shard.buckets, [&](const auto& kv) {
    const Bucket& b = kv.second;
    return b.tokens + absl::ToDoubleSeconds(now - b.refilled) * capacity / 60.0 >= capacity;
  });
  if (shard.buckets.size() >= per_shard_keys_) shard.buckets.erase(shard.buckets.begin());
}

EventRateLimiter::Bucket& EventRateLimiter::Refilled(Shard& shard, absl::string_view key, double capacity,
                                                     absl::Time now) {
  auto it = shard.buckets.find(key);
  if (it == shard.buckets.end()) {
    if (shard.buckets.size() >= per_shard_keys_) MakeRoom(shard, capacity, now);
    return shard.buckets.emplace(std::string(key), Bucket{capacity, capacity, now}).first->second;
  }
  Bucket& b = it->second;
  if (b.capacity != capacity) {  // the limit was reloaded
    b.tokens = std::max(0.0, b.tokens + capacity - b.capacity);
    b.capacity = capacity;
  }
  if (now > b.refilled) {
    b.tokens = std::min(capacity, b.tokens + absl::ToDoubleSeconds(now - b.refilled) * capacity / 60.0);
    b.refilled = now;
  }
  return b;
}

bool EventRateLimiter::TryTake(absl::string_view key, int64_t per_minute, int64_t n, absl::Time now) {
  if (per_minute <= 0 || n <= 0) return true;
  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mu);
  Bucket& b = Refilled(shard, key, static_cast<double>(per_minute), now);
  if (b.tokens < static_cast<double>(n)) return false;
  b.tokens -= static_cast<double>(n);
  return true;
}

void EventRateLimiter::GiveBack(absl::string_view key, int64_t per_minute, int64_t n, absl::Time now) {
  if (per_minute <= 0 || n <= 0) return;
  Shard& shard = ShardFor(key);
  absl::MutexLock lock(&shard.mu);
  Bucket& b = Refilled(shard, key, static_cast<double>(per_minute), now);
  b.tokens = std::min(static_cast<double>(per_minute), b.tokens + static_cast<double>(n));
}

}  // namespace recd
