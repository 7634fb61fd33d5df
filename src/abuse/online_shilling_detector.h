#ifndef RECD_ABUSE_ONLINE_SHILLING_DETECTOR_H_
#define RECD_ABUSE_ONLINE_SHILLING_DETECTOR_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "abuse/shilling_options.h"
#include "recd/feature_store.h"

namespace recd {

// The daemon's quarantine: the signals of DetectShilling (a burst, one item
// hammered, a swarm of new accounts on one item; abuse/shilling_signals.h)
// applied to each event RecordEvents has written, as it arrives. A user it
// finds is quarantined: recorded with the signal and the event time that
// found them, until an operator releases them. Quarantine changes nothing
// about how the user's events are stored or served; it is a list for
// GetStatus and for `recd-train --quarantined-users`.
//
// Differences from the offline detector, all from seeing events one at a
// time in bounded memory: times are the events' own; a burst or hammer
// counts the latest burst_events / hammer_events events (an event older
// than all of those is not counted); the swarm window is counted in 24
// slots of swarm_seconds / 24, so it spans 23 to 24 of them; a user's age
// is from their first stored event (looked up once when the detector starts
// tracking them), else their first event seen.
//
// Bounded: at most max_users users, max_items items and max_pairs (user,
// item) pairs are tracked, and max_quarantined users recorded. At a cap,
// the entries idle longest (in arrival time) beyond every window go first;
// if too few are idle, arbitrary ones are dropped down to 7/8 of the cap
// (so the scan is paid once per cap/8 new entries), and a dropped entry
// starts again empty. A find beyond max_quarantined is counted, not
// recorded. Thread-safe: one mutex.
class OnlineShillingDetector {
 public:
  struct Options {
    size_t max_users = 100000;        // default 100,000
    size_t max_items = 100000;        // default 100,000
    size_t max_pairs = 100000;        // default 100,000
    size_t max_quarantined = 100000;  // default 100,000
  };
  enum class Signal { kBurst = 0, kHammer = 1, kSwarm = 2 };
  static constexpr int kSignals = 3;
  static const char* SignalName(Signal signal);  // "burst", "hammer", "swarm"

  struct QuarantinedUser {
    std::string user_id;
    Signal signal;       // the first signal that found them
    int64_t since;       // event time (unix seconds) of the event that did
    std::string item_id; // hammer and swarm: the item; burst: empty
  };
  struct Summary {
    int64_t users = 0;                     // quarantined now
    std::array<int64_t, kSignals> by_signal{};  // users found by each (one user may be found by several)
    int64_t targeted_items = 0;
    int64_t unrecorded_users = 0;          // found past max_quarantined
    std::vector<QuarantinedUser> first_users;  // the earliest found, by (since, id)
    std::vector<std::string> targeted_item_ids;  // ascending
  };

  OnlineShillingDetector();  // default Options
  explicit OnlineShillingDetector(const Options& options);
  OnlineShillingDetector(const OnlineShillingDetector&) = delete;
  OnlineShillingDetector& operator=(const OnlineShillingDetector&) = delete;

  // The time (unix seconds) of a user's first stored event, or nullopt when
  // none is stored. Called without the detector's lock held.
  using FirstEventLookup = absl::FunctionRef<std::optional<int64_t>(const std::string& user_id)>;

  // For each user of `batch` the detector does not track yet, the time of
  // their first stored event (from `first_event`); nullopt for the others.
  // Meant to be called before the batch is written (so the store still
  // holds only the past), and off any thread that must not wait for a read.
  std::vector<std::optional<int64_t>> FirstEvents(std::span<const UserEvents> batch,
                                                  FirstEventLookup first_event) const;

  // Counts `batch`'s events (grouped by user, as RecordEvents writes them)
  // and quarantines the users they show to be machine-like. `first_events`
  // is FirstEvents' answer for this batch (empty = none known); a user
  // without one starts at their earliest event here. `now` is the arrival
  // time, which only decides what is idle. Cheap: a few hash lookups per
  // event under the lock, and a scan of the tracked users once per swarm
  // found.
  void Observe(std::span<const UserEvents> batch, const ShillingOptions& options,
               std::span<const std::optional<int64_t>> first_events, absl::Time now);
  // FirstEvents, then Observe.
  void Observe(std::span<const UserEvents> batch, const ShillingOptions& options, FirstEventLookup first_event,
               absl::Time now);

  // Ends the user's quarantine and forgets what was counted of them, so the
  // same past events cannot find them again; an operator has vouched for
  // the account, so it is no longer a new account for the swarm test.
  // Returns false if they were not quarantined (their counts are reset all
  // the same).
  bool Release(const std::string& user_id);

  bool IsQuarantined(const std::string& user_id) const;
  // Counts, with at most `list_limit` users and items listed.
  Summary Summarize(size_t list_limit) const;
  // Up to `limit` quarantined users with ids after `after_user_id`,
  // ascending by id; `more` says whether others follow.
  std::vector<QuarantinedUser> List(absl::string_view after_user_id, size_t limit, bool* more) const;

  size_t tracked_users() const;
  size_t tracked_items() const;
  size_t tracked_pairs() const;

 private:
  static constexpr size_t kSlots = 24;       // of the swarm window
  static constexpr size_t kNewTouches = 8;   // kept per user while new
  struct NewTouch {
    uint64_t item;  // hash of the item id
    int64_t time;
  };
  struct UserState {
    int64_t joined = 0;
    bool vouched = false;          // released by an operator
    absl::Time seen;
    std::vector<int64_t> recent;   // ascending, within burst_seconds of the latest
    std::vector<NewTouch> new_touches;  // first touches made while new, for a swarm found later
  };
  struct PairState {
    uint64_t user = 0;             // hash of the user id (Release finds its pairs)
    absl::Time seen;
    std::vector<int64_t> recent;   // ascending, within hammer_seconds of the latest
  };
  struct Slot {
    int64_t index = -1;            // time / slot length
    int32_t touches = 0;
    int32_t new_touches = 0;
  };
  struct ItemState {
    absl::Time seen;
    int64_t slot_seconds = 0;      // the slot length the slots were counted in
    std::array<Slot, kSlots> slots;
    bool swarm = false;            // its window was a swarm at the last touch
  };
  struct Record {
    Signal signal;
    uint32_t signals = 0;          // bit per Signal
    int64_t since = 0;
    std::string item_id;
  };

  void ObserveEvent(const std::string& user, uint64_t user_hash, UserState& us, const StoredEvent& e,
                    const ShillingOptions& o, absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Counts a first touch in the item's window; true if the window is a swarm.
  static bool CountFirstTouch(ItemState& item, int64_t time, bool new_account, const ShillingOptions& o);
  // Quarantines every user whose new-account touch of `item` lies in the
  // window ending at `time`.
  void QuarantineSwarm(const std::string& item, int64_t time, const ShillingOptions& o)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Quarantine(const std::string& user, Signal signal, int64_t time, absl::string_view item)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, UserState> users_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<uint64_t, PairState> pairs_ ABSL_GUARDED_BY(mu_);  // key: hash of (user, item)
  absl::flat_hash_map<std::string, ItemState> items_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Record> quarantined_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, int64_t> targeted_ ABSL_GUARDED_BY(mu_);  // item -> first found
  int64_t unrecorded_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace recd

#endif  // RECD_ABUSE_ONLINE_SHILLING_DETECTOR_H_
