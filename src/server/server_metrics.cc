#include "server/server_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "retrieval/ann_index.h"

namespace recd {
namespace {

// Bucket b holds latencies up to 10us * 1.3^b.
constexpr double kFirstUpperUs = 10.0;
constexpr double kGrowth = 1.3;

int BucketOf(double us, int buckets) {
  if (us <= kFirstUpperUs) return 0;
  const int b = static_cast<int>(std::ceil(std::log(us / kFirstUpperUs) / std::log(kGrowth)));
  return std::min(b, buckets - 1);
}

}  // namespace

void LatencyHistogram::Record(absl::Duration d) {
  // absl::Now() is wall time: a clock stepped back must not make the sum
  // shrink.
  d = std::max(d, absl::ZeroDuration());
  buckets_[static_cast<size_t>(BucketOf(absl::ToDoubleMicroseconds(d), kBuckets))].fetch_add(
      1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_ns_.fetch_add(absl::ToInt64Nanoseconds(d), std::memory_order_relaxed);
}

LatencyHistogram::Export LatencyHistogram::Exported() const {
  Export out;
  int64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<size_t>(b)].load(std::memory_order_relaxed);
    // The last bucket also holds everything beyond its bound: only +Inf
    // (the count) covers it.
    if (b % kExportStride == 0 && b < kBuckets - 1) {
      // Rounded to 4 significant digits (2.856e-05 for 2.8561e-05): le
      // labels stay readable, and a bound moves by less than 0.01%.
      double upper = kFirstUpperUs * std::pow(kGrowth, b) / 1e6;
      (void)absl::SimpleAtod(absl::StrFormat("%.4g", upper), &upper);
      out.upper_seconds.push_back(upper);
      out.cumulative.push_back(seen);
    }
  }
  out.count = seen;
  out.sum_seconds = static_cast<double>(sum_ns_.load(std::memory_order_relaxed)) / 1e9;
  return out;
}

double LatencyHistogram::QuantileMs(double q) const {
  const int64_t total = count();
  if (total == 0) return 0;
  const auto rank = static_cast<int64_t>(std::ceil(q * static_cast<double>(total)));
  int64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<size_t>(b)].load(std::memory_order_relaxed);
    if (seen >= std::max<int64_t>(rank, 1)) return kFirstUpperUs * std::pow(kGrowth, b) / 1000.0;
  }
  return kFirstUpperUs * std::pow(kGrowth, kBuckets - 1) / 1000.0;
}

namespace {

template <typename Slots>
std::map<std::string, int64_t> Snapshot(const Slots& slots) {
  std::map<std::string, int64_t> out;
  slots.ForEach([&](std::string_view name, const std::atomic<int64_t>& n) {
    out[std::string(name)] = n.load(std::memory_order_relaxed);
  });
  return out;
}

}  // namespace

void ServerMetrics::CountRequest(const std::string& method) {
  requests_.Get(method).fetch_add(1, std::memory_order_relaxed);
}

void ServerMetrics::CountError(const std::string& method, const std::string& code) {
  errors_.Get(method + "/" + code).fetch_add(1, std::memory_order_relaxed);
}

ModelMetrics& ServerMetrics::Model(const std::string& name) { return models_.Get(name); }

void ServerMetrics::CountFinished(std::string_view method, std::string_view code, absl::Duration latency) {
  // "method/code" in a stack buffer: no allocation per call. Both are short
  // (method names and status code names); longer ones are cut, which only
  // merges them.
  char key[96];
  const size_t m = std::min(method.size(), sizeof(key) / 2);
  const size_t c = std::min(code.size(), sizeof(key) - m - 1);
  std::memcpy(key, method.data(), m);
  key[m] = '/';
  std::memcpy(key + m + 1, code.data(), c);
  finished_.Get(std::string_view(key, m + 1 + c)).Record(latency);
}

void ServerMetrics::ForEachFinished(
    const std::function<void(std::string_view, std::string_view, const LatencyHistogram&)>& fn) const {
  finished_.ForEach([&](std::string_view key, const LatencyHistogram& h) {
    const size_t slash = key.find('/');
    if (slash == std::string_view::npos) {
      fn(key, "UNKNOWN", h);  // the overflow slot
    } else {
      fn(key.substr(0, slash), key.substr(slash + 1), h);
    }
  });
}

void ServerMetrics::ForEachModel(const std::function<void(std::string_view, const ModelMetrics&)>& fn) const {
  models_.ForEach([&](std::string_view name, const ModelMetrics& m) { fn(name, m); });
}

std::map<std::string, int64_t> ServerMetrics::Requests() const { return Snapshot(requests_); }

std::map<std::string, int64_t> ServerMetrics::Errors() const { return Snapshot(errors_); }

std::map<std::string, int64_t> ServerMetrics::Counters() const {
  std::map<std::string, int64_t> counters = {{"state_cache_hits", state_cache_hits_.load()},
                                              {"state_cache_misses", state_cache_misses_.load()},
                                              {"result_cache_hits", result_cache_hits_.load()},
                                              {"result_cache_misses", result_cache_misses_.load()},
                                              {"states_refreshed", states_refreshed_.load()},
                                              {"states_warmed", states_warmed_.load()},
                                              {"degraded_answers", degraded_answers_.load()},
                                              {"fallback_answers", fallback_answers_.load()},
                                              {"queue_timeouts", queue_timeouts_.load()},
                                              {"events_rate_limited", events_rate_limited_.load()},
                                              {"skipped_model_tasks", skipped_tasks_.load()},
                                              {"unauthenticated_calls", unauthenticated_calls_.load()},
                                              {"permission_denied_calls", permission_denied_calls_.load()},
                                              {"ann_index_builds", AnnIndex::builds_total()},
                                              {"ann_index_loads", AnnIndex::loads_total()}};
  if (extra_) counters.merge(extra_());
  return counters;
}

}  // namespace recd
