// Cost of one recommendation inside the daemon, without gRPC: the ranking
// pipeline on a real bundle and its data, per request and per model step.
//
//   RECD_BENCH_BUNDLE=/tmp/recd-100k/bundle RECD_BENCH_EVENTS=/tmp/recd-100k/data/events.csv
//   build/benchmarks/ranking_pipeline_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// (benchmarks/make-100k.sh builds that bundle.) Without the variables the
// benchmarks skip, saying so. Requests run one at a time on the calling
// thread, so each figure is the CPU cost of one request:
//   Rank/cold  encode every model from the history, retrieve, score, fuse
//   Rank/warm  the same with the user's states already encoded (cache hit)
//   Recommend/<cache>  the daemon's whole per-user step (RecommendForUser:
//     dense history, fingerprint, cache lookup, ranking, rules, top k) with
//     no cache, with the users' states cached, and with their fused top
//     lists cached too (the result cache), each user asked once before;
//     session3: requests carrying 3 session items over cached states
//   Encode/<m>, Retrieve/<m>  one model's steps alone

#include <stdlib.h>

#include <memory>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "benchmark/benchmark.h"
#include "ranking/ranking_pipeline.h"
#include "ranking/recommend.h"
#include "recd/bundle_versions.h"
#include "recd/data_source.h"
#include "retrieval/candidate_stage.h"

namespace recd {
namespace {

struct World {
  std::shared_ptr<const ModelBundle> bundle;
  std::shared_ptr<const CandidateStage> stage;
  std::unique_ptr<RankingPipeline> pipeline;
  std::vector<std::vector<Event>> histories;  // users with at least one event
  std::string error;
};

World* Load() {
  static World* world = [] {
    auto* w = new World;
    Eigen::setNbThreads(1);  // as the daemon runs: one request, one thread
    const char* bundle_dir = getenv("RECD_BENCH_BUNDLE");
    const char* events = getenv("RECD_BENCH_EVENTS");
    if (bundle_dir == nullptr || events == nullptr) {
      w->error = "set RECD_BENCH_BUNDLE and RECD_BENCH_EVENTS (see benchmarks/make-100k.sh)";
      return w;
    }
    auto bundle = LoadBundleOrNewestVersion(bundle_dir);
    if (!bundle.ok()) {
      w->error = std::string(bundle.status().message());
      return w;
    }
    w->bundle = *bundle;
    DataSource source;
    source.events_path = events;
    auto data = LoadDataSource(source, nullptr);
    if (!data.ok()) {
      w->error = std::string(data.status().message());
      return w;
    }
    // Histories in the bundle's dense ids; items it does not know are dropped.
    for (const auto& h : data->histories) {
      std::vector<Event> mapped;
      for (const Event& e : h) {
        if (auto id = w->bundle->items().Find(data->items.Name(e.item))) mapped.push_back({*id, e.type, e.timestamp});
      }
      if (!mapped.empty()) w->histories.push_back(std::move(mapped));
    }
    if (w->histories.empty()) {
      w->error = "no event of these files is on an item of the bundle";
      return w;
    }
    auto stage = CandidateStage::Build(w->bundle, CandidateBuildOptions{});
    if (!stage.ok()) {
      w->error = std::string(stage.status().message());
      return w;
    }
    w->stage = *stage;
    w->pipeline = std::make_unique<RankingPipeline>(w->bundle, w->bundle->fusion(), w->stage);
    return w;
  }();
  return world;
}

bool SkipIfNoWorld(benchmark::State& state, World*& w) {
  w = Load();
  if (w->error.empty()) return false;
  state.SkipWithError(w->error.c_str());
  return true;
}

void BM_Rank(benchmark::State& state, bool warm) {
  World* w;
  if (SkipIfNoWorld(state, w)) return;
  const size_t users = std::min<size_t>(w->histories.size(), 2000);
  std::vector<std::vector<std::shared_ptr<const UserState>>> states(users);
  if (warm) {
    for (size_t u = 0; u < users; ++u) states[u] = w->pipeline->EncodeAll(UserHistory{w->histories[u], -1});
  }
  size_t u = 0;
  for (auto _ : state) {
    RankRequest request;
    request.history = UserHistory{w->histories[u], -1};
    request.k = 10;
    request.states = states[u];
    benchmark::DoNotOptimize(w->pipeline->Rank(request));
    u = (u + 1) % users;
  }
  state.counters["items"] = static_cast<double>(w->bundle->num_items());
  state.counters["retrieves"] = w->pipeline->retrieves() ? 1 : 0;
}
BENCHMARK_CAPTURE(BM_Rank, cold, false)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Rank, warm, true)->Unit(benchmark::kMicrosecond);

enum class CacheLevel { kNone, kStates, kResults, kSessionOnStates };

void BM_Recommend(benchmark::State& state, CacheLevel level) {
  World* w;
  if (SkipIfNoWorld(state, w)) return;
  const size_t users = std::min<size_t>(w->histories.size(), 2000);
  std::vector<std::vector<StoredEvent>> stored(users);
  for (size_t u = 0; u < users; ++u) {
    for (const Event& e : w->histories[u]) stored[u].push_back({w->bundle->items().Name(e.item), e.type, e.timestamp});
  }
  RankingContext context;
  context.bundle = w->bundle;
  context.pipeline = w->pipeline.get();
  context.result_cache_items = level == CacheLevel::kResults ? 50 : 0;
  UserStateCache cache(level == CacheLevel::kNone ? 0 : users * 8);  // shards fill unevenly: never evict
  auto ask = [&](size_t u, bool session) {
    RecommendQuery query;
    query.user_id = "u" + std::to_string(u);
    query.stored_history = stored[u];
    query.k = 10;
    if (session) {
      // Three session items, as a shop's request carries: the next user's last ones.
      const auto& next = stored[(u + 1) % users];
      for (size_t i = next.size() > 3 ? next.size() - 3 : 0; i < next.size(); ++i) {
        query.recent_item_ids.push_back(next[i].item_id);
      }
    }
    return RecommendForUser(context, query, ScoringOptions{}, &cache);
  };
  // Warm the caches; a failing request would make every figure meaningless.
  for (size_t u = 0; u < users && level != CacheLevel::kNone; ++u) {
    if (absl::StatusOr<RecommendAnswer> warm = ask(u, false); !warm.ok()) {
      state.SkipWithError(std::string(warm.status().message()).c_str());
      return;
    }
  }
  size_t u = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ask(u, level == CacheLevel::kSessionOnStates));
    u = (u + 1) % users;
  }
}
BENCHMARK_CAPTURE(BM_Recommend, no_cache, CacheLevel::kNone)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Recommend, states_cached, CacheLevel::kStates)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Recommend, results_cached, CacheLevel::kResults)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Recommend, session3_states_cached, CacheLevel::kSessionOnStates)->Unit(benchmark::kMicrosecond);

// One model's Encode (arg 0) or Retrieve of per_source items (arg 1).
void BM_ModelStep(benchmark::State& state) {
  World* w;
  if (SkipIfNoWorld(state, w)) return;
  const auto m = static_cast<size_t>(state.range(0));
  if (m >= w->bundle->scorers().size()) {
    state.SkipWithError("no such model in this bundle");
    return;
  }
  const Scorer& scorer = *w->bundle->scorers()[m];
  state.SetLabel(std::string(scorer.name()) + (state.range(1) ? " retrieve" : " encode"));
  const size_t users = std::min<size_t>(w->histories.size(), 2000);
  std::vector<std::unique_ptr<UserState>> encoded;
  for (size_t u = 0; u < users && state.range(1); ++u) encoded.push_back(scorer.Encode(UserHistory{w->histories[u], -1}));
  const bool can_retrieve = w->stage->enabled();
  size_t u = 0;
  std::vector<int32_t> out;
  for (auto _ : state) {
    if (state.range(1) == 0) {
      benchmark::DoNotOptimize(scorer.Encode(UserHistory{w->histories[u], -1}));
    } else if (can_retrieve) {
      out.clear();
      const CandidateSearchOptions search;
      w->stage->source(m).Retrieve(*encoded[u], search.per_source, search.ann_ef_search, out);
      benchmark::DoNotOptimize(out.data());
    }
    u = (u + 1) % users;
  }
}
BENCHMARK(BM_ModelStep)->ArgsProduct({{0, 1, 2, 3, 4, 5}, {0, 1}})->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace recd
