#ifndef RECD_ABUSE_SHILLING_OPTIONS_H_
#define RECD_ABUSE_SHILLING_OPTIONS_H_

#include <cstdint>

namespace recd {

// What makes a user's events look injected (bots, shilling attacks that push
// an item into everyone's lists). Each default sits far outside what the
// demo's 3,000 real users do (at most 5 events in a minute, 48 on one item in
// 178 days, 5 new accounts on one item in a day); README, "Injected events".
struct ShillingOptions {
  // A burst no person makes: at least burst_events events within
  // burst_seconds. Default 30 in 60 s.
  int32_t burst_events = 30;
  int64_t burst_seconds = 60;
  // One item hammered: at least hammer_events events on one item within
  // hammer_seconds. Default 30 in an hour.
  int32_t hammer_events = 30;
  int64_t hammer_seconds = 3600;
  // A swarm of new accounts on one item: at least swarm_accounts accounts,
  // each within new_account_seconds of its first event, touching the item
  // within swarm_seconds of each other and making up at least swarm_share of
  // all the users who touched it in that window (an item that many real
  // shoppers also visit is a trend, not an attack). Defaults 50, one day,
  // one day, 0.5.
  int32_t swarm_accounts = 50;
  int64_t new_account_seconds = 86400;
  int64_t swarm_seconds = 86400;
  double swarm_share = 0.5;
};

}  // namespace recd

#endif  // RECD_ABUSE_SHILLING_OPTIONS_H_
