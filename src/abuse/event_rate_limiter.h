#ifndef RECD_ABUSE_EVENT_RATE_LIMITER_H_
#define RECD_ABUSE_EVENT_RATE_LIMITER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace recd {

// Token buckets keyed by a string (a user id, an item id): each key may take
// `per_minute` tokens a minute, in bursts of up to a minute's worth. The
// limit is passed with each call, so a reloaded config applies at once: a
// bucket keeps what was used of it, and a raised limit adds the difference.
//
// Bounded: at most `max_keys` buckets. A full bucket is the same as no
// bucket, so when a shard fills, the keys whose buckets have refilled are
// dropped; if every bucket is in use (many keys, all busy), an arbitrary one
// is dropped and that key starts again with a full bucket. Thread-safe: one
// mutex per shard.
class EventRateLimiter {
 public:
  struct Options {
    size_t max_keys = 100000;  // buckets kept in all; default 100,000
    int shards = 16;           // default 16
  };
  explicit EventRateLimiter(const Options& options);
  EventRateLimiter(const EventRateLimiter&) = delete;
  EventRateLimiter& operator=(const EventRateLimiter&) = delete;

  // Takes `n` tokens from `key`'s bucket if it holds them; false (nothing
  // taken) if that would go over `per_minute`. per_minute <= 0 = no limit.
  bool TryTake(absl::string_view key, int64_t per_minute, int64_t n, absl::Time now);
  // Gives back tokens taken by TryTake (a call refused for another reason).
  void GiveBack(absl::string_view key, int64_t per_minute, int64_t n, absl::Time now);

 private:
  struct Bucket {
    double tokens = 0;
    double capacity = 0;  // the limit it was last used with
    absl::Time refilled;
  };
  struct Shard {
    absl::Mutex mu;
    absl::flat_hash_map<std::string, Bucket> buckets ABSL_GUARDED_BY(mu);
  };
  Shard& ShardFor(absl::string_view key);
  // The key's bucket refilled to `now`, made (full) if missing.
  Bucket& Refilled(Shard& shard, absl::string_view key, double capacity, absl::Time now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);
  void MakeRoom(Shard& shard, double capacity, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(shard.mu);

  size_t per_shard_keys_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace recd

#endif  // RECD_ABUSE_EVENT_RATE_LIMITER_H_
