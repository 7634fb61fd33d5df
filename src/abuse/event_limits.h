#ifndef RECD_ABUSE_EVENT_LIMITS_H_
#define RECD_ABUSE_EVENT_LIMITS_H_

#include <cstdint>
#include <span>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "abuse/event_rate_limiter.h"
#include "recd/feature_store.h"

namespace recd {

// The per-user and per-item event rate limits of RecordEvents
// (server.rate_limits): a batch is taken whole or refused whole, so a
// refused call writes nothing and costs its users and items nothing.
// Thread-safe.
class EventLimits {
 public:
  struct Limits {
    int64_t user_events_per_minute = 0;  // 0 = no limit
    int64_t item_events_per_minute = 0;
  };
  explicit EventLimits(const EventRateLimiter::Options& options = {}) : users_(options), items_(options) {}

  // OK if every user and item of `batch` is within its limit (their events
  // are then counted), else RESOURCE_EXHAUSTED naming the first one over it.
  absl::Status Admit(std::span<const UserEvents> batch, const Limits& limits, absl::Time now);

 private:
  EventRateLimiter users_;
  EventRateLimiter items_;
};

}  // namespace recd

#endif  // RECD_ABUSE_EVENT_LIMITS_H_
