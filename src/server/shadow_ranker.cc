#include "server/shadow_ranker.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>

#include "absl/time/clock.h"
#include "ranking/list_agreement.h"
#include "ranking/recommend.h"

namespace recd {

ShadowRanker::ShadowRanker(UserStateCache* cache)
    : cache_(cache), latency_(std::make_shared<LatencyHistogram>()) {
  stats_.latency = latency_;
  worker_ = std::thread([this] { WorkLoop(); });
}

ShadowRanker::~ShadowRanker() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  worker_.join();
}

bool ShadowRanker::Sample(const ShadowTarget& target) {
  // Call n is sampled when floor((n + 1) f) passes floor(n f): f of all
  // calls, one every 1/f.
  const uint64_t n = calls_.fetch_add(1, std::memory_order_relaxed);
  return std::floor(static_cast<double>(n + 1) * target.fraction) > std::floor(static_cast<double>(n) * target.fraction);
}

void ShadowRanker::ResetFor(const std::string& name) {
  if (stats_.name == name) return;
  stats_ = Stats{};
  stats_.name = name;
  latency_ = std::make_shared<LatencyHistogram>();
  stats_.latency = latency_;
}

bool ShadowRanker::Offer(Task task) {
  absl::MutexLock lock(&mu_);
  ResetFor(task.target->name);
  ++stats_.sampled;
  if (stopping_ || queue_.size() >= static_cast<size_t>(task.target->max_queue)) {
    ++stats_.skipped;
    return false;
  }
  queue_.push_back(std::move(task));
  return true;
}

ShadowRanker::Stats ShadowRanker::Snapshot() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

void ShadowRanker::WaitIdle() const {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](ShadowRanker* r) ABSL_NO_THREAD_SAFETY_ANALYSIS { return r->queue_.empty() && !r->busy_; },
      const_cast<ShadowRanker*>(this)));
}

void ShadowRanker::WorkLoop() {
  // Shadow work runs only on CPU time live requests leave idle: SCHED_IDLE
  // (Linux, per thread) yields to any other runnable thread at once, where
  // a nice value would still take its share of a busy core. When a core is
  // busy the queue fills and samples are skipped (counted), never delayed
  // answers. Falls back to the lowest nice value.
  const sched_param idle{};
  if (sched_setscheduler(static_cast<pid_t>(syscall(SYS_gettid)), SCHED_IDLE, &idle) != 0) {
    setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 19);
  }
  while (true) {
    Task task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ShadowRanker* r) ABSL_NO_THREAD_SAFETY_ANALYSIS { return r->stopping_ || !r->queue_.empty(); },
          this));
      if (stopping_) return;
      task = std::move(queue_.front());
      queue_.pop_front();
      busy_ = true;
    }
    Rank(task);
    absl::MutexLock lock(&mu_);
    busy_ = false;
  }
}

void ShadowRanker::Rank(const Task& task) {
  const absl::Time started = absl::Now();
  const ServingState& state = *task.target->state;
  RankingContext context = RankingContextOf(state);
  context.cache_read_only = true;
  RecommendQuery query;
  query.user_id = task.user_id;
  query.stored_history = task.stored_history;
  query.recent_item_ids = task.recent_item_ids;
  query.k = task.k;
  query.rules = task.rules;
  ScoringOptions options;  // inline on this thread
  options.deadline = started + absl::Milliseconds(state.config->default_deadline_ms);
  options.budget = ModelBudgetsOf(state.config);
  auto answer = RecommendForUser(context, query, options, cache_);
  const absl::Duration took = absl::Now() - started;

  absl::MutexLock lock(&mu_);
  if (stats_.name != task.target->name) return;  // figures of a shadow since replaced
  latency_->Record(took);
  if (!answer.ok() || !answer->ranking.answered()) {
    ++stats_.failed;
    return;
  }
  if (!answer->ranking.degraded.empty() || answer->ranking.fallback) ++stats_.degraded;
  std::vector<std::string> shadow_items;
  shadow_items.reserve(answer->ranking.items.size());
  for (const RankedItem& r : answer->ranking.items) shadow_items.push_back(state.bundle->items().Name(r.item));
  ++stats_.ranked;
  stats_.overlap_sum += OverlapAtK(task.live_items, shadow_items, task.k);
  if (auto tau = SharedRankCorrelation(task.live_items, shadow_items, task.k)) {
    ++stats_.correlated;
    stats_.correlation_sum += *tau;
  }
}

}  // namespace recd
