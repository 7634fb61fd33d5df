#ifndef RECD_ABUSE_SHILLING_SIGNALS_H_
#define RECD_ABUSE_SHILLING_SIGNALS_H_

#include <cstdint>
#include <span>

#include "abuse/shilling_options.h"

namespace recd {

// The tests behind the three signals of ShillingOptions, shared by the
// offline detector (DetectShilling, over a whole log) and the daemon's
// online one (OnlineShillingDetector, event by event), so that both call
// the same behaviour machine-like.

// True if some `count` of the ascending `times` lie within `seconds` (a
// burst, or one item hammered). count <= 0 never holds.
bool AnyWindowHolds(std::span<const int64_t> times, int32_t count, int64_t seconds);

// True if a touch at `time` by an account whose first event was at `joined`
// is a new account's.
inline bool IsNewAccount(int64_t joined, int64_t time, const ShillingOptions& o) {
  return time - joined <= o.new_account_seconds;
}

// True if an item's window of `touches` first touches, `new_touches` of them
// by new accounts, is a swarm: enough new accounts, and at least
// swarm_share of everyone who touched it.
inline bool IsSwarm(int64_t touches, int64_t new_touches, const ShillingOptions& o) {
  return new_touches >= o.swarm_accounts && static_cast<double>(new_touches) >= o.swarm_share * static_cast<double>(touches);
}

}  // namespace recd

#endif  // RECD_ABUSE_SHILLING_SIGNALS_H_
