#ifndef RECD_SERVER_SERVER_METRICS_H_
#define RECD_SERVER_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "util/named_slots.h"

namespace recd {

// Latencies in fixed log-spaced buckets (10 us .. ~80 s), so recording is a
// few atomic increments and quantiles are read without keeping samples.
// Thread-safe.
class LatencyHistogram {
 public:
  // Cumulative counts at a coarser set of the bucket bounds, for /metrics.
  struct Export {
    std::vector<double> upper_seconds;  // ascending
    std::vector<int64_t> cumulative;    // observations <= each bound
    int64_t count = 0;                  // all observations (the +Inf bucket)
    double sum_seconds = 0;
  };

  void Record(absl::Duration d);
  // Upper bound of the bucket holding quantile q (0..1), in milliseconds.
  double QuantileMs(double q) const;
  int64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Every 4th bucket bound (10 us x 1.3^4k: 10 us, 29 us, 82 us, ... 70 s,
  // 16 bounds); counts are exact at those bounds. `count` is the sum of the
  // buckets read, so the export is cumulative even while others record.
  Export Exported() const;

 private:
  static constexpr int kBuckets = 64;
  static constexpr int kExportStride = 4;
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
  std::atomic<int64_t> count_{0};
  std::atomic<int64_t> sum_ns_{0};
};

// Per-model counters and latency.
struct ModelMetrics {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> timeouts{0};
  LatencyHistogram latency;
};

// Counters the Admin service reports: requests per RPC method, errors per
// method and status code, and per-model outcomes. Thread-safe; counting
// takes no lock (NamedSlots), so request threads never queue on metrics.
class ServerMetrics {
 public:
  void CountRequest(const std::string& method);
  void CountError(const std::string& method, const std::string& code);
  // A finished call of `method` with gRPC status `code` (e.g. "OK") that took
  // `latency` from its arrival. Takes no lock and allocates nothing.
  void CountFinished(std::string_view method, std::string_view code, absl::Duration latency);
  // Calls fn(method, code, latency histogram) for every pair seen so far.
  void ForEachFinished(
      const std::function<void(std::string_view, std::string_view, const LatencyHistogram&)>& fn) const;
  // Calls fn(model, metrics) for every model seen so far.
  void ForEachModel(const std::function<void(std::string_view, const ModelMetrics&)>& fn) const;
  // From RecordEvents' submission to its group commit, successful writes.
  // RecommendItems answered in an experiment arm, and how long they took.
  void RecordArm(std::string_view arm, absl::Duration latency) { arms_.Get(arm).Record(latency); }
  void ForEachArm(const std::function<void(std::string_view, const LatencyHistogram&)>& fn) const {
    arms_.ForEach(fn);
  }

  LatencyHistogram& event_write_latency() { return event_write_latency_; }
  const LatencyHistogram& event_write_latency() const { return event_write_latency_; }
  ModelMetrics& Model(const std::string& name);
  // User state cache: a request that found (hit) or encoded its user, and
  // users re-encoded as their events arrived.
  void CountStateCache(bool hit) { (hit ? state_cache_hits_ : state_cache_misses_).fetch_add(1); }
  // Result cache: a request answered from its user's cached top list (hit)
  // or ranked (miss).
  void CountResultCache(bool hit) { (hit ? result_cache_hits_ : result_cache_misses_).fetch_add(1); }
  void CountStateRefresh() { states_refreshed_.fetch_add(1); }
  void CountStatesWarmed(int64_t n) { states_warmed_.fetch_add(n); }
  // Answers with models left out / from the popularity fallback.
  void CountDegraded() { degraded_answers_.fetch_add(1, std::memory_order_relaxed); }
  void CountFallback() { fallback_answers_.fetch_add(1, std::memory_order_relaxed); }
  // RecordEvents calls refused by server.rate_limits.
  void CountEventsRateLimited() { events_rate_limited_.fetch_add(1, std::memory_order_relaxed); }
  // Admitted calls refused because they queued too long.
  void CountQueueTimeout() { queue_timeouts_.fetch_add(1, std::memory_order_relaxed); }
  // Calls refused by authentication: UNAUTHENTICATED (no or unknown token)
  // or PERMISSION_DENIED (a token of another role).
  void CountAuthFailure(absl::StatusCode code) {
    (code == absl::StatusCode::kUnauthenticated ? unauthenticated_calls_ : permission_denied_calls_)
        .fetch_add(1, std::memory_order_relaxed);
  }
  // Where the pipeline counts model tasks it skipped (ScoringOptions).
  std::atomic<int64_t>* skipped_tasks() { return &skipped_tasks_; }
  // Extra named values for Counters(), read when it is called (admission
  // refusals, reload counts: owned elsewhere). Set once at start.
  void SetExtraCounters(std::function<std::map<std::string, int64_t>()> extra) { extra_ = std::move(extra); }
  // Named counters for GetStatus ("state_cache_hits", ...), with the
  // process's ANN index builds and loads ("ann_index_builds", "ann_index_loads").
  std::map<std::string, int64_t> Counters() const;

  std::map<std::string, int64_t> Requests() const;
  std::map<std::string, int64_t> Errors() const;

 private:
  std::atomic<int64_t> state_cache_hits_{0};
  std::atomic<int64_t> state_cache_misses_{0};
  std::atomic<int64_t> result_cache_hits_{0};
  std::atomic<int64_t> result_cache_misses_{0};
  std::atomic<int64_t> states_refreshed_{0};
  std::atomic<int64_t> states_warmed_{0};
  std::atomic<int64_t> degraded_answers_{0};
  std::atomic<int64_t> fallback_answers_{0};
  std::atomic<int64_t> queue_timeouts_{0};
  std::atomic<int64_t> events_rate_limited_{0};
  std::atomic<int64_t> skipped_tasks_{0};
  std::atomic<int64_t> unauthenticated_calls_{0};
  std::atomic<int64_t> permission_denied_calls_{0};
  std::function<std::map<std::string, int64_t>()> extra_;
  // Bounded: methods and models are few; errors are method x status code.
  NamedSlots<std::atomic<int64_t>, 32> requests_;
  NamedSlots<std::atomic<int64_t>, 256> errors_;
  NamedSlots<ModelMetrics, 64> models_;
  // "method/code": methods x status codes, bounded like errors_.
  NamedSlots<LatencyHistogram, 256> finished_;
  LatencyHistogram event_write_latency_;
  // Arm names are config labels (at most 8 per config); past 64 over many
  // reloads they share the overflow slot.
  NamedSlots<LatencyHistogram, 64> arms_;
};

}  // namespace recd

#endif  // RECD_SERVER_SERVER_METRICS_H_
