// The cost of the metrics on the request path and of a /metrics scrape:
//   BM_RecordFinishedCall: what FinishCall adds to every gRPC call (a clock
//     read and ServerMetrics::CountFinished: a lock-free slot lookup and
//     three relaxed atomic adds), from one and from two threads sharing the
//     slot;
//   BM_ExposeMetrics: writing the text of a scrape for 4 methods x 3 status
//     codes and 6 models (histograms included) plus admission and process
//     figures.
//
//   build/benchmarks/server_metrics_bench --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true   (one command line)

#include "benchmark/benchmark.h"
#include "absl/time/clock.h"
#include "server/admission_controller.h"
#include "server/metrics_exposition.h"
#include "server/server_metrics.h"

namespace recd {
namespace {

ServerMetrics& Shared() {
  static ServerMetrics* metrics = new ServerMetrics();
  return *metrics;
}

void BM_RecordFinishedCall(benchmark::State& state) {
  ServerMetrics& metrics = Shared();
  const absl::Time start = absl::Now();
  for (auto _ : state) metrics.CountFinished("RecommendItems", "OK", absl::Now() - start);
}
BENCHMARK(BM_RecordFinishedCall)->Threads(1)->Threads(2);

void BM_ExposeMetrics(benchmark::State& state) {
  ServerMetrics metrics;
  for (const char* method : {"RecommendItems", "SimilarItems", "RecordEvents", "GetStatus"}) {
    for (const char* code : {"OK", "INVALID_ARGUMENT", "RESOURCE_EXHAUSTED"}) {
      for (int i = 1; i <= 100; ++i) metrics.CountFinished(method, code, absl::Microseconds(37 * i));
    }
  }
  for (const char* model : {"pop", "markov", "knn", "content", "mf", "lstm"}) {
    ModelMetrics& m = metrics.Model(model);
    for (int i = 1; i <= 100; ++i) m.latency.Record(absl::Microseconds(11 * i));
  }
  AdmissionController admission({});
  MetricsSources sources;
  sources.metrics = &metrics;
  sources.admission = &admission;
  size_t bytes = 0;
  for (auto _ : state) {
    auto text = ExposeMetrics(sources);
    if (!text.ok()) {
      state.SkipWithError("ExposeMetrics failed");
      break;
    }
    bytes = text->size();
    benchmark::DoNotOptimize(text);
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_ExposeMetrics)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace recd
