#ifndef RECD_RANKING_USER_STATE_CACHE_H_
#define RECD_RANKING_USER_STATE_CACHE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "recd/model_bundle.h"
#include "recd/scorer.h"
#include "util/sharded_lru_cache.h"

namespace recd {

struct FusedTopList;  // ranking_pipeline.h

// Every model's encoding of users' stored histories (MF fold-in factor, LSTM
// hidden state, content profile, item-item sums), kept so a request for a
// user whose history has not changed skips the encoders, and refreshed when
// RecordEvents appends to a cached user. An entry is stamped with the
// bundle and a fingerprint of the history it was encoded from; a lookup
// with another bundle or history misses, so a stale entry is never served
// whatever the order of writes, reloads and lookups. An entry may also hold
// the fused top list ranked from those states (the result cache): a new
// history, being a new entry, drops it. Thread-safe.
class UserStateCache {
 public:
  using States = std::vector<std::shared_ptr<const UserState>>;  // by bundle scorer position

  // capacity == 0 disables the cache (every lookup misses).
  explicit UserStateCache(size_t capacity);

  struct Cached {
    States states;
    std::shared_ptr<const FusedTopList> top;  // null: none kept
  };

  // What is cached for `user` if it was encoded by `bundle` from a history
  // with this fingerprint; empty otherwise.
  Cached LookupEntry(const std::string& user, const std::shared_ptr<const ModelBundle>& bundle,
                     uint64_t history_fingerprint);
  States Lookup(const std::string& user, const std::shared_ptr<const ModelBundle>& bundle,
                uint64_t history_fingerprint) {
    return LookupEntry(user, bundle, history_fingerprint).states;
  }
  // Keeps `states` (null entries allowed: models not run) for the user, and
  // the top list ranked from them when given.
  void Insert(const std::string& user, const std::shared_ptr<const ModelBundle>& bundle,
              uint64_t history_fingerprint, States states, std::shared_ptr<const FusedTopList> top = nullptr);
  // True if the user has an entry, of any bundle or history.
  bool Contains(const std::string& user);
  // Drops the user's entry (ForgetUser).
  void Erase(const std::string& user) {
    if (cache_) cache_->Erase(user);
  }

  // Drops every entry.
  void Clear() {
    if (cache_) cache_->Clear();
  }

  // Up to n users with entries, most recently used first (roughly).
  std::vector<std::string> RecentUsers(size_t n) const {
    return cache_ ? cache_->RecentKeys(n) : std::vector<std::string>{};
  }

  size_t size() const { return cache_ ? cache_->size() : 0; }

 private:
  struct Entry {
    // weak_ptr: an entry must not keep a swapped-out bundle alive, and its
    // control block outlives the bundle, so a new bundle at the same
    // address is never mistaken for the old one.
    std::weak_ptr<const ModelBundle> bundle;
    uint64_t history_fingerprint = 0;
    States states;
    std::shared_ptr<const FusedTopList> top;
  };
  std::unique_ptr<ShardedLruCache<Entry>> cache_;
};

// A fingerprint of a user's dense history: equal histories, equal prints.
uint64_t HistoryFingerprint(std::span<const Event> events);

}  // namespace recd

#endif  // RECD_RANKING_USER_STATE_CACHE_H_
