#include "abuse/event_limits.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace recd {
namespace {

// Takes counts[i].second tokens for each key from `limiter`, all or none.
// Returns the index of the key that did not fit, or -1.
int TakeAll(EventRateLimiter& limiter, const std::vector<std::pair<std::string, int64_t>>& counts,
            int64_t per_minute, absl::Time now) {
  for (size_t i = 0; i < counts.size(); ++i) {
    if (limiter.TryTake(counts[i].first, per_minute, counts[i].second, now)) continue;
    for (size_t j = 0; j < i; ++j) limiter.GiveBack(counts[j].first, per_minute, counts[j].second, now);
    return static_cast<int>(i);
  }
  return -1;
}

absl::Status OverLimit(const char* what, const std::string& id, int64_t per_minute, const char* key) {
  return absl::ResourceExhaustedError(absl::StrCat("events: ", what, " '", id, "' is over its limit of ", per_minute,
                                                   " events per minute (server.rate_limits.", key,
                                                   "); nothing of this call was written"));
}

}  // namespace

absl::Status EventLimits::Admit(std::span<const UserEvents> batch, const Limits& limits, absl::Time now) {
  std::vector<std::pair<std::string, int64_t>> users, items;
  if (limits.user_events_per_minute > 0) {
    absl::flat_hash_map<std::string, int64_t> n;
    for (const UserEvents& u : batch) n[u.user_id] += static_cast<int64_t>(u.events.size());
    users.assign(n.begin(), n.end());
  }
  if (limits.item_events_per_minute > 0) {
    absl::flat_hash_map<std::string, int64_t> n;
    for (const UserEvents& u : batch) {
      for (const StoredEvent& e : u.events) ++n[e.item_id];
    }
    items.assign(n.begin(), n.end());
  }
  if (int i = TakeAll(users_, users, limits.user_events_per_minute, now); i >= 0) {
    return OverLimit("user", users[static_cast<size_t>(i)].first, limits.user_events_per_minute,
                     "user_events_per_minute");
  }
  if (int i = TakeAll(items_, items, limits.item_events_per_minute, now); i >= 0) {
    for (const auto& [user, n] : users) users_.GiveBack(user, limits.user_events_per_minute, n, now);
    return OverLimit("item", items[static_cast<size_t>(i)].first, limits.item_events_per_minute,
                     "item_events_per_minute");
  }
  return absl::OkStatus();
}

}  // namespace recd
