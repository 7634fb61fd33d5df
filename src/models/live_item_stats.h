#ifndef RECD_MODELS_LIVE_ITEM_STATS_H_
#define RECD_MODELS_LIVE_ITEM_STATS_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "models/sparse_matrix.h"
#include "recd/dataset.h"

namespace recd {

// How the daemon's live item statistics learn from the event stream.
// Defaults documented here are the config's (`live:` in recd.yaml).
struct LiveStatsOptions {
  // An event's weight halves every half_life: today's trend, not last
  // month's. Default 6 hours.
  absl::Duration half_life = absl::Hours(6);
  // Each new event is paired with this many events before it in the user's
  // history (co-occurrence both ways; a transition from the one just
  // before). Default 3.
  int pair_window = 3;
  // Co-occurrence and transition entries kept, together; past it the
  // weakest (most decayed) are dropped. Bounds the memory. Default 1M
  // (62 MB with the snapshot, measured with random pairs over 100k items).
  int64_t max_pairs = 1'000'000;
  // Neighbours a snapshot keeps per item (its strongest), so scoring a
  // user's recent items costs at most this many entries each, however many
  // items a hot one was seen with. Default 100.
  int max_neighbours = 100;
  // Added to similarity denominators, so a pair seen once between two
  // items seen once is weak evidence, not a perfect cosine. Default 1.
  double shrink = 1.0;
  // Event types weigh as in training (purchase > cart > view).
  EventWeights event_weights;
};

// What the models read: the statistics as of one moment, immutable, so a
// request scores against one consistent view. Rows hold each item's live
// neighbours sorted by item id.
struct LiveSnapshot {
  uint64_t generation = 0;  // increases with every publish; 0 = empty
  // Decayed, type-weighted event counts of the items with live events,
  // sorted by item: the overlay on popularity.
  std::vector<ItemScore> popularity;
  // The items of `popularity`, best first (at most kMaxPopular).
  std::vector<int32_t> popular;
  // Live co-occurrence as a shrunk cosine: c(a,b) / (sqrt(n_a n_b) + shrink).
  absl::flat_hash_map<int32_t, std::vector<ItemScore>> cooccurrence;
  // Live transition probability: t(a->b) / (t(a->*) + shrink).
  absl::flat_hash_map<int32_t, std::vector<ItemScore>> transitions;

  // The latest publishes, (generation, when), oldest first, this one last:
  // how long ago each earlier snapshot stopped being the latest.
  std::vector<std::pair<uint64_t, absl::Time>> recent_publishes;

  static constexpr size_t kMaxPopular = 1000;
  static constexpr size_t kRememberedPublishes = 64;
  // The oldest generation that was the latest at some moment within `lag`
  // of `now` (this one's when no publish happened within it): what a list
  // ranked on live statistics at most `lag` out of date may have used.
  uint64_t OldestFresh(absl::Time now, absl::Duration lag) const;
  // Row `item` of `rows`, empty when it has none.
  static std::span<const ItemScore> Row(const absl::flat_hash_map<int32_t, std::vector<ItemScore>>& rows,
                                        int32_t item);
};

// Item-side statistics that follow the event stream inside the daemon, as
// an overlay on a bundle's trained popularity, co-occurrence and transition
// matrices (LiveOverlayScorer merges them): time-decayed counts, bounded in
// memory, in the dense ids of one bundle.
//
// Writers (Record, Forget) change the counts; Publish turns them into a new
// immutable LiveSnapshot, at most once per call, so the cost of building
// one is paid per publish interval, not per event. Readers take Snapshot()
// without a lock held across their use.
//
// Decay is kept exact without touching every entry: weights are stored
// scaled by 2^((t - epoch) / half_life), so ageing is one factor applied
// when a snapshot is built; the scale is folded back in when it grows
// large. Thread-safe.
class LiveItemStats {
 public:
  struct Stats {
    int64_t events = 0;        // recorded
    int64_t forgotten = 0;     // events taken back by Forget
    int64_t items = 0;         // items with live counts
    int64_t pairs = 0;         // co-occurrence + transition entries
    int64_t pruned = 0;        // entries dropped at max_pairs
    int64_t memory_bytes = 0;  // counts plus the current snapshot, estimated
    uint64_t generation = 0;
  };

  // REQUIRES: num_items >= 0, options.half_life > 0, pair_window >= 0,
  // max_pairs >= 0.
  LiveItemStats(int32_t num_items, LiveStatsOptions options, absl::Time epoch);
  LiveItemStats(const LiveItemStats&) = delete;
  LiveItemStats& operator=(const LiveItemStats&) = delete;

  const LiveStatsOptions& options() const { return options_; }

  // Counts the last `appended` events of `history` (one user's dense
  // history, oldest first) as arriving at `now`, each paired with the
  // pair_window events before it. Items outside the bundle are skipped.
  void Record(std::span<const Event> history, size_t appended, absl::Time now);
  // Takes back what Record would have added for every event of `history`
  // (a user who asked to be forgotten), weighing each as if it arrived
  // `now`; counts never go below zero. Events the overlay never saw may
  // thus lower others' counts of the same items and pairs a little: what
  // forgetting costs without keeping every user's contribution.
  void Forget(std::span<const Event> history, absl::Time now);

  // Builds and publishes a snapshot of the counts as of `now` if they
  // changed since the last one. Returns whether it published.
  bool Publish(absl::Time now);
  // Whether counts changed since the last publish.
  bool dirty() const;

  // The latest published snapshot; never null (empty before the first).
  std::shared_ptr<const LiveSnapshot> Snapshot() const { return snapshot_.load(std::memory_order_acquire); }
  uint64_t generation() const { return Snapshot()->generation; }
  Stats stats() const;

 private:
  // Per item, its partners' scaled weights: kept by row, so a publish
  // reads each row's entries together and builds it in one piece.
  using Row = absl::flat_hash_map<int32_t, double>;
  using RowMap = absl::flat_hash_map<int32_t, Row>;

  // Adds `sign` times one event's contributions (its count and its pairs).
  void Apply(std::span<const Event> history, size_t position, double scale, double sign)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The factor an event arriving at `now` is stored with; may rescale.
  double ScaleAt(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Adds `delta` to rows[a][b]; an entry that falls to nothing is removed.
  void AddPair(RowMap& rows, int32_t a, int32_t b, double delta) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Drops the weakest entries of the pair maps past max_pairs.
  void Prune() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const int32_t num_items_;
  const LiveStatsOptions options_;
  mutable absl::Mutex mu_;
  absl::Time epoch_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int32_t, double> counts_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<int32_t, double> out_counts_ ABSL_GUARDED_BY(mu_);  // transitions out of an item
  RowMap cooccurrence_ ABSL_GUARDED_BY(mu_);
  RowMap transitions_ ABSL_GUARDED_BY(mu_);
  int64_t pairs_ ABSL_GUARDED_BY(mu_) = 0;  // entries of both
  bool dirty_ ABSL_GUARDED_BY(mu_) = false;
  int64_t events_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t forgotten_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t pruned_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t snapshot_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  std::atomic<std::shared_ptr<const LiveSnapshot>> snapshot_;
};

}  // namespace recd

#endif  // RECD_MODELS_LIVE_ITEM_STATS_H_
