#include "abuse/shilling_detector.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "abuse/shilling_signals.h"

namespace recd {
namespace {

bool IsBurst(const std::vector<Event>& history, const ShillingOptions& o) {
  std::vector<int64_t> times;
  times.reserve(history.size());
  for (const Event& e : history) times.push_back(e.timestamp);
  std::sort(times.begin(), times.end());
  return AnyWindowHolds(times, o.burst_events, o.burst_seconds);
}

bool IsHammer(const std::vector<Event>& history, const ShillingOptions& o) {
  if (history.size() < static_cast<size_t>(std::max(o.hammer_events, 1))) return false;
  std::vector<std::pair<int32_t, int64_t>> by_item;
  by_item.reserve(history.size());
  for (const Event& e : history) by_item.emplace_back(e.item, e.timestamp);
  std::sort(by_item.begin(), by_item.end());
  std::vector<int64_t> times;
  for (size_t begin = 0; begin < by_item.size();) {
    size_t end = begin;
    times.clear();
    while (end < by_item.size() && by_item[end].first == by_item[begin].first) times.push_back(by_item[end++].second);
    if (AnyWindowHolds(times, o.hammer_events, o.hammer_seconds)) return true;
    begin = end;
  }
  return false;
}

// One user's first touch of one item.
struct Touch {
  int64_t time;
  int32_t user;
  bool new_account;  // within new_account_seconds of the user's first event
};

// Per item, each user's first touch, in time order.
std::vector<std::vector<Touch>> FirstTouchesByItem(const Dataset& data, const ShillingOptions& o) {
  std::vector<std::vector<Touch>> touches(static_cast<size_t>(data.num_items()));
  std::vector<std::pair<int32_t, int64_t>> firsts;  // (item, time) of this user
  for (int32_t u = 0; u < data.num_users(); ++u) {
    const auto& h = data.histories[static_cast<size_t>(u)];
    if (h.empty()) continue;
    int64_t joined = h.front().timestamp;
    firsts.clear();
    for (const Event& e : h) {
      joined = std::min(joined, e.timestamp);
      firsts.emplace_back(e.item, e.timestamp);
    }
    std::sort(firsts.begin(), firsts.end());
    for (size_t i = 0; i < firsts.size(); ++i) {
      if (i > 0 && firsts[i].first == firsts[i - 1].first) continue;  // not the first touch
      const auto [item, time] = firsts[i];
      touches[static_cast<size_t>(item)].push_back({time, u, IsNewAccount(joined, time, o)});
    }
  }
  for (auto& t : touches) {
    std::sort(t.begin(), t.end(), [](const Touch& a, const Touch& b) { return std::tie(a.time, a.user) < std::tie(b.time, b.user); });
  }
  return touches;
}

// Marks the new accounts of every window of `touches` that is a swarm.
// Returns true if there was one.
bool MarkSwarms(const std::vector<Touch>& touches, const ShillingOptions& o, std::vector<bool>* swarm_user) {
  bool found = false;
  int64_t in_window = 0, new_in_window = 0;
  size_t first = 0, marked_to = 0;  // touches before marked_to are marked
  for (size_t last = 0; last < touches.size(); ++last) {
    ++in_window;
    new_in_window += touches[last].new_account;
    while (touches[last].time - touches[first].time > o.swarm_seconds) {
      --in_window;
      new_in_window -= touches[first++].new_account;
    }
    if (!IsSwarm(in_window, new_in_window, o)) continue;
    found = true;
    for (size_t i = std::max(first, marked_to); i <= last; ++i) {
      if (touches[i].new_account) (*swarm_user)[static_cast<size_t>(touches[i].user)] = true;
    }
    marked_to = last + 1;
  }
  return found;
}

}  // namespace

ShillingReport DetectShilling(const Dataset& data, const ShillingOptions& options) {
  const size_t users = static_cast<size_t>(data.num_users());
  ShillingReport report;
  std::vector<bool> quarantined(users, false), swarm(users, false);
  for (size_t u = 0; u < users && u < data.histories.size(); ++u) {
    const bool burst = IsBurst(data.histories[u], options);
    const bool hammer = IsHammer(data.histories[u], options);
    report.burst_users += burst;
    report.hammer_users += hammer;
    quarantined[u] = burst || hammer;
  }
  const auto touches = FirstTouchesByItem(data, options);
  for (size_t item = 0; item < touches.size(); ++item) {
    if (MarkSwarms(touches[item], options, &swarm)) report.targeted_items.push_back(static_cast<int32_t>(item));
  }
  for (size_t u = 0; u < users; ++u) {
    report.swarm_users += swarm[u];
    if (quarantined[u] || swarm[u]) report.users.push_back(static_cast<int32_t>(u));
  }
  return report;
}

int64_t DropUsersEvents(const std::vector<int32_t>& users, Dataset* data) {
  int64_t dropped = 0;
  for (int32_t u : users) {
    if (u < 0 || static_cast<size_t>(u) >= data->histories.size()) continue;
    auto& h = data->histories[static_cast<size_t>(u)];
    dropped += static_cast<int64_t>(h.size());
    h.clear();
    h.shrink_to_fit();
  }
  return dropped;
}

}  // namespace recd
