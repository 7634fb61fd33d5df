#include "abuse/online_shilling_detector.h"

#include <algorithm>
#include <tuple>
#include <utility>

#include "absl/hash/hash.h"
#include "abuse/shilling_signals.h"

namespace recd {
namespace {

// Adds `time` to the ascending `times`, then keeps only what can still be
// in a window of `count` events within `seconds` with the latest: the
// latest `count` events, none older than `seconds` before the latest.
void AddRecent(std::vector<int64_t>& times, int64_t time, int64_t seconds, int32_t count) {
  if (count <= 0) return;
  times.insert(std::upper_bound(times.begin(), times.end(), time), time);
  const int64_t oldest = times.back() - seconds;
  auto keep = std::lower_bound(times.begin(), times.end(), oldest);
  if (times.end() - keep > count) keep = times.end() - count;
  times.erase(times.begin(), keep);
}

// Makes room in `map` for one more entry: when at `cap`, drops the entries
// `idle` says carry nothing any window still needs, then, if that was too
// few, arbitrary ones down to 7/8 of the cap, so the scan is paid once per
// cap/8 insertions rather than on each.
template <typename Map, typename Idle>
void MakeRoomIn(Map& map, size_t cap, Idle idle) {
  if (map.size() < cap) return;
  absl::erase_if(map, idle);
  const size_t keep = cap - std::max<size_t>(1, cap / 8);
  while (map.size() > keep) map.erase(map.begin());
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

}  // namespace

const char* OnlineShillingDetector::SignalName(Signal signal) {
  switch (signal) {
    case Signal::kBurst: return "burst";
    case Signal::kHammer: return "hammer";
    case Signal::kSwarm: return "swarm";
  }
  return "?";
}

OnlineShillingDetector::OnlineShillingDetector() : OnlineShillingDetector(Options()) {}

OnlineShillingDetector::OnlineShillingDetector(const Options& options) : options_(options) {}

std::vector<std::optional<int64_t>> OnlineShillingDetector::FirstEvents(std::span<const UserEvents> batch,
                                                                        FirstEventLookup first_event) const {
  // The store is read without the lock: a read must not hold up every
  // other writer.
  std::vector<bool> untracked(batch.size(), false);
  {
    absl::MutexLock lock(&mu_);
    for (size_t i = 0; i < batch.size(); ++i) untracked[i] = !users_.contains(batch[i].user_id);
  }
  std::vector<std::optional<int64_t>> first(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    if (untracked[i] && !batch[i].events.empty()) first[i] = first_event(batch[i].user_id);
  }
  return first;
}

void OnlineShillingDetector::Observe(std::span<const UserEvents> batch, const ShillingOptions& options,
                                     FirstEventLookup first_event, absl::Time now) {
  const std::vector<std::optional<int64_t>> first = FirstEvents(batch, first_event);
  Observe(batch, options, first, now);
}

void OnlineShillingDetector::Observe(std::span<const UserEvents> batch, const ShillingOptions& options,
                                     std::span<const std::optional<int64_t>> first_events, absl::Time now) {
  absl::MutexLock lock(&mu_);
  for (size_t i = 0; i < batch.size(); ++i) {
    const UserEvents& u = batch[i];
    if (u.events.empty()) continue;
    auto it = users_.find(u.user_id);
    if (it == users_.end()) {
      const absl::Duration idle = absl::Seconds(std::max(options.burst_seconds, options.swarm_seconds));
      MakeRoomIn(users_, options_.max_users, [&](const auto& kv) { return now - kv.second.seen > idle; });
      int64_t joined = u.events.front().timestamp;
      for (const StoredEvent& e : u.events) joined = std::min(joined, e.timestamp);
      if (i < first_events.size() && first_events[i]) joined = std::min(joined, *first_events[i]);
      UserState state;
      state.joined = joined;
      it = users_.emplace(u.user_id, std::move(state)).first;
    }
    const uint64_t user_hash = absl::HashOf(u.user_id);
    for (const StoredEvent& e : u.events) ObserveEvent(u.user_id, user_hash, it->second, e, options, now);
  }
}

void OnlineShillingDetector::ObserveEvent(const std::string& user, uint64_t user_hash, UserState& us,
                                          const StoredEvent& e, const ShillingOptions& o, absl::Time now) {
  const int64_t t = e.timestamp;
  us.seen = now;
  if (!us.vouched) us.joined = std::min(us.joined, t);
  AddRecent(us.recent, t, o.burst_seconds, o.burst_events);
  if (AnyWindowHolds(us.recent, o.burst_events, o.burst_seconds)) Quarantine(user, Signal::kBurst, t, "");

  const uint64_t key = absl::HashOf(user_hash, e.item_id);
  auto pair = pairs_.find(key);
  const bool first_touch = pair == pairs_.end();
  if (first_touch) {
    const absl::Duration idle = absl::Seconds(std::max(o.hammer_seconds, o.swarm_seconds));
    MakeRoomIn(pairs_, options_.max_pairs, [&](const auto& kv) { return now - kv.second.seen > idle; });
    pair = pairs_.emplace(key, PairState{}).first;
    pair->second.user = user_hash;
  }
  pair->second.seen = now;
  AddRecent(pair->second.recent, t, o.hammer_seconds, o.hammer_events);
  if (AnyWindowHolds(pair->second.recent, o.hammer_events, o.hammer_seconds)) {
    Quarantine(user, Signal::kHammer, t, e.item_id);
  }
  if (!first_touch) return;  // the swarm test counts each user once per item

  const bool new_account = !us.vouched && IsNewAccount(us.joined, t, o);
  if (new_account) {
    if (us.new_touches.size() >= kNewTouches) us.new_touches.erase(us.new_touches.begin());
    us.new_touches.push_back({absl::HashOf(e.item_id), t});
  }
  auto item = items_.find(e.item_id);
  if (item == items_.end()) {
    const absl::Duration idle = absl::Seconds(o.swarm_seconds) * (1.0 + 1.0 / kSlots);
    MakeRoomIn(items_, options_.max_items, [&](const auto& kv) { return now - kv.second.seen > idle; });
    item = items_.emplace(e.item_id, ItemState{}).first;
  }
  item->second.seen = now;
  const bool swarm = CountFirstTouch(item->second, t, new_account, o);
  if (swarm && !item->second.swarm) {
    QuarantineSwarm(e.item_id, t, o);  // this user's touch is among those found
  } else if (swarm && new_account) {
    Quarantine(user, Signal::kSwarm, t, e.item_id);
  }
  item->second.swarm = swarm;
}

bool OnlineShillingDetector::CountFirstTouch(ItemState& item, int64_t time, bool new_account,
                                             const ShillingOptions& o) {
  const int64_t slot_seconds = std::max<int64_t>(1, (o.swarm_seconds + kSlots - 1) / kSlots);
  if (item.slot_seconds != slot_seconds) {  // a reload changed the window: count afresh
    item.slots = {};
    item.slot_seconds = slot_seconds;
  }
  const int64_t index = FloorDiv(time, slot_seconds);
  constexpr int64_t kN = static_cast<int64_t>(kSlots);
  Slot& slot = item.slots[static_cast<size_t>((index % kN + kN) % kN)];
  if (slot.index < index) slot = Slot{index, 0, 0};
  if (slot.index == index) {  // else older than the window the slot now counts
    ++slot.touches;
    slot.new_touches += new_account;
  }
  int64_t newest = index;
  for (const Slot& s : item.slots) newest = std::max(newest, s.index);
  int64_t touches = 0, new_touches = 0;
  for (const Slot& s : item.slots) {
    if (s.index <= newest - static_cast<int64_t>(kSlots)) continue;
    touches += s.touches;
    new_touches += s.new_touches;
  }
  return IsSwarm(touches, new_touches, o);
}

void OnlineShillingDetector::QuarantineSwarm(const std::string& item, int64_t time, const ShillingOptions& o) {
  if (targeted_.size() < options_.max_items || targeted_.contains(item)) targeted_.try_emplace(item, time);
  // Once per swarm found (the window turning into one), over every tracked
  // user: their new-account touches of this item are the swarm.
  const uint64_t item_hash = absl::HashOf(item);
  const int64_t window = std::max<int64_t>(1, (o.swarm_seconds + kSlots - 1) / kSlots) * kSlots;
  for (const auto& [user, us] : users_) {
    for (const NewTouch& touch : us.new_touches) {
      if (touch.item != item_hash || touch.time < time - window || touch.time > time + window) continue;
      Quarantine(user, Signal::kSwarm, touch.time, item);
      break;
    }
  }
}

void OnlineShillingDetector::Quarantine(const std::string& user, Signal signal, int64_t time, absl::string_view item) {
  auto it = quarantined_.find(user);
  if (it == quarantined_.end()) {
    if (quarantined_.size() >= options_.max_quarantined) {
      ++unrecorded_;
      return;
    }
    it = quarantined_.emplace(user, Record{signal, 0, time, std::string(item)}).first;
  }
  it->second.signals |= 1u << static_cast<int>(signal);
}

bool OnlineShillingDetector::Release(const std::string& user_id) {
  absl::MutexLock lock(&mu_);
  const bool was = quarantined_.erase(user_id) > 0;
  auto it = users_.find(user_id);
  if (it == users_.end() && users_.size() < options_.max_users) it = users_.emplace(user_id, UserState{}).first;
  if (it != users_.end()) {
    UserState& us = it->second;
    us.vouched = true;
    us.recent.clear();
    us.new_touches.clear();
  }
  const uint64_t user_hash = absl::HashOf(user_id);
  absl::erase_if(pairs_, [&](const auto& kv) { return kv.second.user == user_hash; });
  return was;
}

bool OnlineShillingDetector::IsQuarantined(const std::string& user_id) const {
  absl::MutexLock lock(&mu_);
  return quarantined_.contains(user_id);
}

OnlineShillingDetector::Summary OnlineShillingDetector::Summarize(size_t list_limit) const {
  Summary s;
  absl::MutexLock lock(&mu_);
  s.users = static_cast<int64_t>(quarantined_.size());
  s.targeted_items = static_cast<int64_t>(targeted_.size());
  s.unrecorded_users = unrecorded_;
  for (const auto& [user, r] : quarantined_) {
    for (int k = 0; k < kSignals; ++k) s.by_signal[static_cast<size_t>(k)] += (r.signals >> k) & 1;
  }
  if (list_limit == 0) return s;  // counts only (a metrics scrape): no copies
  std::vector<std::tuple<int64_t, const std::string*, const Record*>> order;
  order.reserve(quarantined_.size());
  for (const auto& [user, r] : quarantined_) order.emplace_back(r.since, &user, &r);
  const size_t n = std::min(list_limit, order.size());
  std::partial_sort(order.begin(), order.begin() + static_cast<ptrdiff_t>(n), order.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), *std::get<1>(a)) < std::tie(std::get<0>(b), *std::get<1>(b));
  });
  for (size_t i = 0; i < n; ++i) {
    const auto& [since, user, r] = order[i];
    s.first_users.push_back({*user, r->signal, since, r->item_id});
  }
  for (const auto& [item, since] : targeted_) s.targeted_item_ids.push_back(item);
  std::sort(s.targeted_item_ids.begin(), s.targeted_item_ids.end());
  if (s.targeted_item_ids.size() > list_limit) s.targeted_item_ids.resize(list_limit);
  return s;
}

std::vector<OnlineShillingDetector::QuarantinedUser> OnlineShillingDetector::List(absl::string_view after_user_id,
                                                                                  size_t limit, bool* more) const {
  absl::MutexLock lock(&mu_);
  std::vector<const std::pair<const std::string, Record>*> after;
  for (const auto& kv : quarantined_) {
    if (kv.first > after_user_id) after.push_back(&kv);
  }
  const size_t n = std::min(limit, after.size());
  std::partial_sort(after.begin(), after.begin() + static_cast<ptrdiff_t>(n), after.end(),
                    [](const auto* a, const auto* b) { return a->first < b->first; });
  std::vector<QuarantinedUser> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back({after[i]->first, after[i]->second.signal, after[i]->second.since, after[i]->second.item_id});
  if (more != nullptr) *more = after.size() > n;
  return out;
}

size_t OnlineShillingDetector::tracked_users() const {
  absl::MutexLock lock(&mu_);
  return users_.size();
}

size_t OnlineShillingDetector::tracked_items() const {
  absl::MutexLock lock(&mu_);
  return items_.size();
}

size_t OnlineShillingDetector::tracked_pairs() const {
  absl::MutexLock lock(&mu_);
  return pairs_.size();
}

}  // namespace recd
