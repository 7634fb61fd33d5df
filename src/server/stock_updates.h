#ifndef RECD_SERVER_STOCK_UPDATES_H_
#define RECD_SERVER_STOCK_UPDATES_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "recd/feature_store.h"
#include "server/serving_state.h"

namespace recd {

// Brings stock changes into the served catalog (CatalogIndex::SetInStock) at
// once, without a reload: this daemon's own UpdateStock calls, and, when the
// store is shared (a CatalogFeed), every other replica's, read by a thread
// of its own that tails the feed. A new bundle builds its catalog from the
// store, possibly before the newest changes reached it, so the newest
// kRemembered changes are applied again to it before it takes traffic and
// once more right after (a change applied in between went to the old one).
// Thread-safe.
class StockUpdates {
 public:
  static constexpr size_t kRemembered = 10000;

  // `feed` may be null (no other writers); `cursor` is its Tail() taken
  // before the first catalog was read from the store.
  StockUpdates(ServingStateManager* states, CatalogFeed* feed, std::string cursor, absl::Duration poll_wait);
  ~StockUpdates();  // stops the tailer (within poll_wait)
  StockUpdates(const StockUpdates&) = delete;
  StockUpdates& operator=(const StockUpdates&) = delete;

  // Applies `changes`, in order, to the current catalog and remembers them.
  // An item the served bundle does not know is one added to the store's
  // catalog since (Admin.AddItems announces its rows here, on every
  // replica): while server.max_new_items leaves room, a reload serves it.
  void Apply(std::span<const StockChange> changes);
  // Applies the remembered changes to `state`'s catalog.
  void Reapply(const ServingState& state);

  int64_t applied() const { return applied_.load(std::memory_order_relaxed); }
  int64_t feed_errors() const { return feed_errors_.load(std::memory_order_relaxed); }

 private:
  void Tail();
  struct Outcome {
    int64_t applied = 0;
    int64_t unknown = 0;  // items `state` does not serve
  };
  static Outcome ApplyTo(const ServingState& state, std::span<const StockChange> changes);

  ServingStateManager* const states_;
  CatalogFeed* const feed_;
  const absl::Duration poll_wait_;
  std::string cursor_;  // tailer thread only
  absl::Mutex mu_;
  std::deque<StockChange> recent_ ABSL_GUARDED_BY(mu_);
  std::atomic<int64_t> applied_{0}, feed_errors_{0};
  std::atomic<bool> stopping_{false};
  std::thread tailer_;
};

}  // namespace recd

#endif  // RECD_SERVER_STOCK_UPDATES_H_
