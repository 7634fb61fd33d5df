// Latency of the feature store operations on the request path:
//   GetHistory served by the decoded-history cache (hit), by RocksDB (miss:
//   cache disabled, blocks warm in the block cache), and for unknown users;
//   AppendEvents with a synced WAL, from one and from several threads.
//
// Only the public interface is used (RocksDB is private to recd_core). The
// database lives under $TMPDIR (default /tmp): synced-append latency is the
// fsync latency of that file system, so run it on the disk you will serve
// from. Besides Google Benchmark's mean time per iteration, every benchmark
// reports the per-call median and 99th percentile (p50_us, p99_us).
//
//   build/benchmarks/feature_store_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one command line)

#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "recd/feature_store.h"
#include "recd/feature_store_factory.h"

namespace recd {
namespace {

constexpr int kUsers = 2000;

std::string UserId(int u) { return "user-" + std::to_string(u); }
std::string ItemId(int i) { return "B00" + std::to_string(1000000 + i); }  // ASIN-like, 10 chars

// A database of kUsers users with `history` events each, built once per
// (history, cache) configuration and reused by every repetition.
class Fixture {
 public:
  Fixture(int history, size_t cache_entries) {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "recd_store_bench_XXXXXX").string();
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    dir_ = tmpl;
    RocksDbStoreOptions options;
    options.path = dir_ + "/db";
    options.history_cache_entries = cache_entries;
    auto store = OpenRocksDbFeatureStore(options);
    if (!store.ok()) std::abort();
    store_ = *std::move(store);
    std::mt19937 rng(42);
    std::vector<UserEvents> batch;
    for (int u = 0; u < kUsers; ++u) {
      UserEvents& ue = batch.emplace_back();
      ue.user_id = UserId(u);
      for (int e = 0; e < history; ++e) {
        ue.events.push_back({ItemId(static_cast<int>(rng() % 50000)),
                             static_cast<EventType>(rng() % 3), 1700000000 + 37 * e});
      }
      if (batch.size() == 500) {
        if (!store_->AppendEventsBatch(batch, {.sync = false}).ok()) std::abort();
        batch.clear();
      }
    }
    if (!store_->Flush().ok()) std::abort();
  }
  ~Fixture() {
    store_.reset();
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  FeatureStore& store() { return *store_; }

 private:
  std::string dir_;
  std::unique_ptr<FeatureStore> store_;
};

// Per-call latencies of one benchmark run, reported as counters.
class Latencies {
 public:
  void Reserve(size_t n) { us_.reserve(n); }
  void Add(std::chrono::steady_clock::duration d) {
    us_.push_back(std::chrono::duration<double, std::micro>(d).count());
  }
  void Report(benchmark::State& state) {
    if (us_.empty()) return;
    std::sort(us_.begin(), us_.end());
    // kAvgThreads: with several threads, report the mean of their medians
    // rather than the sum the default would give.
    state.counters["p50_us"] =
        benchmark::Counter(us_[us_.size() / 2], benchmark::Counter::kAvgThreads);
    state.counters["p99_us"] = benchmark::Counter(
        us_[std::min(us_.size() - 1, us_.size() * 99 / 100)], benchmark::Counter::kAvgThreads);
  }

 private:
  std::vector<double> us_;
};

Fixture& SharedFixture(int history, bool cache) {
  static std::mutex mu;  // threads of one multi-threaded benchmark race here
  std::lock_guard<std::mutex> lock(mu);
  // Leaked on purpose: built once, alive until the process exits.
  static auto* fixtures = new std::vector<std::pair<std::pair<int, bool>, Fixture*>>();
  for (auto& [key, f] : *fixtures) {
    if (key == std::make_pair(history, cache)) return *f;
  }
  fixtures->push_back({{history, cache}, new Fixture(history, cache ? 100000 : 0)});
  return *fixtures->back().second;
}

void RunGets(benchmark::State& state, FeatureStore& store, const std::string& prefix) {
  std::mt19937 rng(7);
  Latencies lat;
  lat.Reserve(1 << 20);
  int64_t events = 0;
  for (auto _ : state) {
    const std::string user = prefix + std::to_string(rng() % kUsers);
    const auto start = std::chrono::steady_clock::now();
    auto h = store.GetHistory(user);
    lat.Add(std::chrono::steady_clock::now() - start);
    if (!h.ok()) {
      state.SkipWithError("GetHistory failed");
      break;
    }
    events += static_cast<int64_t>(h->events.size());
    benchmark::DoNotOptimize(h);
  }
  state.counters["events_per_get"] =
      static_cast<double>(events) / std::max<int64_t>(1, state.iterations());
  lat.Report(state);
}

void BM_GetHistory_CacheHit(benchmark::State& state) {
  Fixture& f = SharedFixture(static_cast<int>(state.range(0)), /*cache=*/true);
  for (int u = 0; u < kUsers; ++u) (void)f.store().GetHistory(UserId(u));  // warm
  RunGets(state, f.store(), "user-");
}
BENCHMARK(BM_GetHistory_CacheHit)->Arg(20)->Arg(200);

void BM_GetHistory_CacheMiss(benchmark::State& state) {
  // Cache disabled: every call reads RocksDB (blocks warm) and decodes.
  Fixture& f = SharedFixture(static_cast<int>(state.range(0)), /*cache=*/false);
  RunGets(state, f.store(), "user-");
}
BENCHMARK(BM_GetHistory_CacheMiss)->Arg(20)->Arg(200);

void BM_GetHistory_UnknownUserNoCache(benchmark::State& state) {
  // New visitors: answered by the bloom filters.
  Fixture& f = SharedFixture(20, /*cache=*/false);
  RunGets(state, f.store(), "stranger-");
}
BENCHMARK(BM_GetHistory_UnknownUserNoCache);

void BM_AppendEvents_Sync(benchmark::State& state) {
  // One event per call to a random existing user, WAL fsynced before return:
  // the RecordEvents acknowledgement latency. Threads share group commits.
  Fixture& f = SharedFixture(static_cast<int>(state.range(0)), /*cache=*/true);
  std::mt19937 rng(1000 + state.thread_index());
  Latencies lat;
  lat.Reserve(1 << 16);
  int64_t ts = 1800000000;
  for (auto _ : state) {
    const std::string user = UserId(static_cast<int>(rng() % kUsers));
    const StoredEvent event{ItemId(static_cast<int>(rng() % 50000)), EventType::kView, ++ts};
    const auto start = std::chrono::steady_clock::now();
    absl::Status s = f.store().AppendEvents(user, std::span<const StoredEvent>(&event, 1));
    lat.Add(std::chrono::steady_clock::now() - start);
    if (!s.ok()) {
      state.SkipWithError("AppendEvents failed");
      break;
    }
  }
  lat.Report(state);
}
BENCHMARK(BM_AppendEvents_Sync)->Arg(200)->UseRealTime();
BENCHMARK(BM_AppendEvents_Sync)->Arg(200)->Threads(4)->UseRealTime();

}  // namespace
}  // namespace recd
