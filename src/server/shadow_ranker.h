#ifndef RECD_SERVER_SHADOW_RANKER_H_
#define RECD_SERVER_SHADOW_RANKER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "ranking/request_rules.h"
#include "ranking/user_state_cache.h"
#include "recd/feature_store.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"

namespace recd {

// Ranks a sample of live RecommendItems requests again with the running
// shadow (ServingState::shadow) and compares each of its lists with the
// live answer: overlap@k and rank correlation (ranking/list_agreement.h),
// its latency, failures and degraded answers. The request thread only
// queues a copy of the request; the ranking runs on the ranker's own thread
// at low priority, from a bounded queue, so shadowing never delays an
// answer, and it reads the live state cache without writing to it. Figures
// are kept per shadow name: a new name starts them afresh. Thread-safe.
class ShadowRanker {
 public:
  // One sampled request: what the live request ranked from, and its answer.
  struct Task {
    std::shared_ptr<const ShadowTarget> target;
    std::string user_id;
    std::vector<StoredEvent> stored_history;
    std::vector<std::string> recent_item_ids;
    int k = 10;
    RuleSpec rules;
    std::vector<std::string> live_items;  // best first
  };

  struct Stats {
    std::string name;      // the shadow they are for; "" = none sampled yet
    int64_t sampled = 0;   // requests chosen for shadowing
    int64_t skipped = 0;   // of those, dropped: the queue was full
    int64_t ranked = 0;    // ranked by the shadow and compared
    int64_t failed = 0;    // the shadow could not rank (no model answered)
    int64_t degraded = 0;  // ranked with a model left out, or by the fallback
    double overlap_sum = 0;          // OverlapAtK over `ranked`
    int64_t correlated = 0;          // ranked requests sharing two items or more
    double correlation_sum = 0;      // SharedRankCorrelation over `correlated`
    std::shared_ptr<const LatencyHistogram> latency;  // of the shadow's rankings

    // The means reported: 0 before anything was ranked (correlated).
    double mean_overlap() const { return ranked > 0 ? overlap_sum / static_cast<double>(ranked) : 0; }
    double mean_correlation() const { return correlated > 0 ? correlation_sum / static_cast<double>(correlated) : 0; }
  };

  // `cache`: the live state cache (may be null), read for the states of
  // users the shadow shares a bundle with.
  explicit ShadowRanker(UserStateCache* cache);
  ~ShadowRanker();
  ShadowRanker(const ShadowRanker&) = delete;
  ShadowRanker& operator=(const ShadowRanker&) = delete;

  // Whether the live answer being made now is shadowed: exactly
  // target.fraction of calls, evenly spread (no randomness to reproduce).
  bool Sample(const ShadowTarget& target);
  // Queues a sampled request; false (counted as skipped) when the queue
  // already holds target->max_queue.
  bool Offer(Task task);
  Stats Snapshot() const;
  // Blocks until every queued task has been ranked (tests).
  void WaitIdle() const;

 private:
  void WorkLoop();
  void Rank(const Task& task);
  // Starts the figures afresh when `name` is another shadow's.
  void ResetFor(const std::string& name) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  UserStateCache* const cache_;
  std::atomic<uint64_t> calls_{0};
  mutable absl::Mutex mu_;
  std::deque<Task> queue_ ABSL_GUARDED_BY(mu_);
  bool busy_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  Stats stats_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<LatencyHistogram> latency_ ABSL_GUARDED_BY(mu_);
  std::thread worker_;
};

}  // namespace recd

#endif  // RECD_SERVER_SHADOW_RANKER_H_
