// Candidate retrieval by AnnIndex (HNSW) against the exact alternative, on
// 100k x 64 clustered item vectors whose norms vary several-fold:
//   BM_Build        building the index (all hardware threads)
//   BM_Search       one query's top 100; counter recall@100 is the mean over
//                   kQueries fixed queries of |found & exact| / 100
//   BM_Save         writing the built index as recd-train does (AnnIndex::Save)
//   BM_Load         reading it back as the daemon does (AnnIndex::Load)
//   BM_ExactTopK    one query by brute force: Eigen GEMV + nth_element + sort
// `equalize` is AnnIndexOptions::equalize_norms (0: a graph over raw inner
// products); the other options are the defaults (ef 128 is ef_search's).
//
//   build/benchmarks/ann_index_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true   (one command line)

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <numeric>
#include <random>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "retrieval/ann_index.h"
#include "test_util/clustered_vectors.h"

namespace recd {
namespace {

constexpr int kItems = 100000;
constexpr int kDim = 64;
constexpr int kClusters = 500;
constexpr int kQueries = 1000;
constexpr int kTopK = 100;
// Exact top k by brute force, reusing the caller's buffers.
void ExactTopK(const RowMatrixXf& items, std::span<const float> q, int k, Eigen::VectorXf& scores,
               std::vector<int32_t>& ids) {
  scores.noalias() = items * Eigen::Map<const Eigen::VectorXf>(q.data(), q.size());
  ids.resize(items.rows());
  std::iota(ids.begin(), ids.end(), 0);
  auto better = [&](int32_t a, int32_t b) { return scores[a] > scores[b]; };
  std::nth_element(ids.begin(), ids.begin() + k, ids.end(), better);
  std::sort(ids.begin(), ids.begin() + k, better);
  ids.resize(k);
}

// Items, queries and each query's exact top k, made once.
struct Data {
  RowMatrixXf items;
  RowMatrixXf queries;
  std::vector<std::vector<int32_t>> truth;

  std::span<const float> query(int r) const { return {queries.row(r).data(), size_t(kDim)}; }

  static const Data& Get() {
    static const Data* data = [] {
      auto* d = new Data;
      RowMatrixXf all = ClusteredVectors(kItems + kQueries, kDim, kClusters, 20240601);
      d->items = all.topRows(kItems);
      d->queries = all.bottomRows(kQueries);
      Eigen::VectorXf scores;
      for (int r = 0; r < kQueries; ++r) {
        ExactTopK(d->items, d->query(r), kTopK, scores, d->truth.emplace_back());
      }
      return d;
    }();
    return *data;
  }
};

AnnIndexOptions Options(bool equalize) {
  AnnIndexOptions o;
  o.equalize_norms = equalize;
  return o;
}

// The last index BM_Build made per `equalize`, so BM_Search need not build
// again.
std::map<bool, std::unique_ptr<AnnIndex>>& Indexes() {
  static auto* indexes = new std::map<bool, std::unique_ptr<AnnIndex>>;
  return *indexes;
}

const AnnIndex& IndexFor(bool equalize) {
  std::unique_ptr<AnnIndex>& index = Indexes()[equalize];
  if (index == nullptr) {
    auto built = AnnIndex::Build(Data::Get().items, {}, Options(equalize));
    if (!built.ok()) std::abort();
    index = *std::move(built);
  }
  return *index;
}

void BM_Build(benchmark::State& state) {
  const bool equalize = state.range(0) != 0;
  const Data& data = Data::Get();
  for (auto _ : state) {
    auto built = AnnIndex::Build(data.items, {}, Options(equalize));
    if (!built.ok()) std::abort();
    state.PauseTiming();
    Indexes()[equalize] = *std::move(built);
    state.ResumeTiming();
  }
  state.counters["items"] = kItems;
}
BENCHMARK(BM_Build)
    ->ArgName("equalize")
    ->Arg(1)
    ->Arg(0)
    ->Iterations(1)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Search(benchmark::State& state) {
  const bool equalize = state.range(0) != 0;
  const int ef = static_cast<int>(state.range(1));
  const Data& data = Data::Get();
  const AnnIndex& index = IndexFor(equalize);
  int r = 0;
  for (auto _ : state) {
    auto found = index.Search(data.query(r), kTopK, ef);
    benchmark::DoNotOptimize(found);
    r = (r + 1) % kQueries;
  }
  // Recall over all queries, outside the timed loop so that it does not
  // depend on how many iterations the timing needed.
  if (state.thread_index() != 0) return;
  double hits = 0;
  for (int q = 0; q < kQueries; ++q) {
    auto found = index.Search(data.query(q), kTopK, ef);
    if (!found.ok()) std::abort();
    std::set<int32_t> truth(data.truth[q].begin(), data.truth[q].end());
    for (int32_t id : *found) hits += truth.count(id);
  }
  state.counters["recall@100"] = hits / (double(kQueries) * kTopK);
}
BENCHMARK(BM_Search)
    ->ArgNames({"equalize", "ef"})
    ->ArgsProduct({{1, 0}, {100, 128, 200, 400}})
    ->Unit(benchmark::kMicrosecond);
// Two searching threads: how far per-query latency holds up under concurrency.
BENCHMARK(BM_Search)
    ->ArgNames({"equalize", "ef"})
    ->Args({1, 128})
    ->Threads(2)
    ->UseRealTime()
    ->Unit(benchmark::kMicrosecond);

// Where BM_Save writes and BM_Load reads the equalized index.
std::string SaveDir() {
  static const std::string dir = [] {
    const auto d = std::filesystem::temp_directory_path() / ("recd_ann_bench_" + std::to_string(getpid()));
    std::filesystem::create_directories(d);
    std::atexit([] { std::filesystem::remove_all(SaveDir()); });
    return d.string();
  }();
  return dir;
}

// Persisting the index (what recd-train does): hnswlib's saveIndex plus the
// checksum and description, fsynced.
void BM_Save(benchmark::State& state) {
  const AnnIndex& index = IndexFor(true);
  for (auto _ : state) {
    if (!index.Save(SaveDir()).ok()) std::abort();
  }
  state.counters["MB"] =
      static_cast<double>(std::filesystem::file_size(std::filesystem::path(SaveDir()) / AnnIndex::kGraphFile)) / 1e6;
}
BENCHMARK(BM_Save)->Iterations(1)->UseRealTime()->Unit(benchmark::kMillisecond);

// Loading it instead of building (what the daemon does with a bundle that
// carries one): the vectors' and the file's checksums, the header checks and
// hnswlib's loader. Searches of the result are BM_Search's.
void BM_Load(benchmark::State& state) {
  const Data& data = Data::Get();
  if (!std::filesystem::exists(std::filesystem::path(SaveDir()) / AnnIndex::kMetaFile) &&
      !IndexFor(true).Save(SaveDir()).ok()) {
    std::abort();
  }
  for (auto _ : state) {
    auto loaded = AnnIndex::Load(SaveDir(), data.items, {}, Options(true));
    if (!loaded.ok()) std::abort();
    benchmark::DoNotOptimize(loaded);
  }
  state.counters["items"] = kItems;
}
BENCHMARK(BM_Load)->Iterations(3)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ExactTopK(benchmark::State& state) {
  const Data& data = Data::Get();
  Eigen::VectorXf scores(kItems);
  std::vector<int32_t> ids;
  int r = 0;
  for (auto _ : state) {
    ExactTopK(data.items, data.query(r), kTopK, scores, ids);
    benchmark::DoNotOptimize(ids.data());
    r = (r + 1) % kQueries;
  }
  state.counters["recall@100"] = 1.0;
}
BENCHMARK(BM_ExactTopK)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace recd
