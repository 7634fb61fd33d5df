#include "ranking/user_state_cache.h"

#include <tuple>

#include "absl/hash/hash.h"

namespace recd {

UserStateCache::UserStateCache(size_t capacity) {
  if (capacity > 0) cache_ = std::make_unique<ShardedLruCache<Entry>>(capacity, 64);
}

UserStateCache::Cached UserStateCache::LookupEntry(const std::string& user,
                                                   const std::shared_ptr<const ModelBundle>& bundle,
                                                   uint64_t history_fingerprint) {
  if (!cache_) return {};
  const auto entry = cache_->Lookup(user);
  if (entry == nullptr || entry->history_fingerprint != history_fingerprint) return {};
  // Same control block <=> same bundle object.
  if (entry->bundle.owner_before(bundle) || bundle.owner_before(entry->bundle)) return {};
  return Cached{entry->states, entry->top};
}

void UserStateCache::Insert(const std::string& user, const std::shared_ptr<const ModelBundle>& bundle,
                            uint64_t history_fingerprint, States states, std::shared_ptr<const FusedTopList> top) {
  if (!cache_) return;
  cache_->Insert(user, std::make_shared<const Entry>(
                           Entry{bundle, history_fingerprint, std::move(states), std::move(top)}));
}

bool UserStateCache::Contains(const std::string& user) { return cache_ && cache_->Lookup(user) != nullptr; }

uint64_t HistoryFingerprint(std::span<const Event> events) {
  uint64_t h = events.size();
  for (const Event& e : events) {
    h = absl::Hash<std::tuple<uint64_t, int32_t, int, int64_t>>()(
        std::make_tuple(h, e.item, static_cast<int>(e.type), e.timestamp));
  }
  return h;
}

}  // namespace recd
