#ifndef RECD_SERVER_SERVER_METRICS_H_
#define RECD_SERVER_SERVER_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace recd {

// Latencies in fixed log-spaced buckets (10 us .. ~80 s), so recording is a
// few atomic increments and quantiles are read without keeping samples.
// Thread-safe.
class LatencyHistogram {
 public:
  void Record(absl::Duration d);
  // Upper bound of the bucket holding quantile q (0..1), in milliseconds.
  double QuantileMs(double q) const;
  int64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  static constexpr int kBuckets = 64;
  std::array<std::atomic<int64_t>, kBuckets> buckets_{};
  std::atomic<int64_t> count_{0};
};

// Per-model counters and latency.
struct ModelMetrics {
  std::atomic<int64_t> calls{0};
  std::atomic<int64_t> failures{0};
  std::atomic<int64_t> timeouts{0};
  LatencyHistogram latency;
};

// Counters the Admin service reports: requests per RPC method, errors per
// method and status code, and per-model outcomes. Thread-safe.
class ServerMetrics {
 public:
  void CountRequest(const std::string& method);
  void CountError(const std::string& method, const std::string& code);
  ModelMetrics& Model(const std::string& name);
  // User state cache: a request that found (hit) or encoded its user, and
  // users re-encoded as their events arrived.
  void CountStateCache(bool hit) { (hit ? state_cache_hits_ : state_cache_misses_).fetch_add(1); }
  void CountStateRefresh() { states_refreshed_.fetch_add(1); }
  // Named counters for GetStatus ("state_cache_hits", ...), with the
  // process's ANN index builds and loads ("ann_index_builds", "ann_index_loads").
  std::map<std::string, int64_t> Counters() const;

  std::map<std::string, int64_t> Requests() const;
  std::map<std::string, int64_t> Errors() const;
  // Calls `fn(name, metrics)` for every model seen so far.
  template <typename Fn>
  void ForEachModel(Fn fn) const {
    absl::MutexLock lock(&mu_);
    for (const auto& [name, m] : models_) fn(name, *m);
  }

 private:
  std::atomic<int64_t> state_cache_hits_{0};
  std::atomic<int64_t> state_cache_misses_{0};
  std::atomic<int64_t> states_refreshed_{0};
  mutable absl::Mutex mu_;
  std::map<std::string, int64_t> requests_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, int64_t> errors_ ABSL_GUARDED_BY(mu_);
  // unique_ptr: ModelMetrics holds atomics and must not move once handed out.
  std::map<std::string, std::unique_ptr<ModelMetrics>> models_ ABSL_GUARDED_BY(mu_);
};

}  // namespace recd

#endif  // RECD_SERVER_SERVER_METRICS_H_
