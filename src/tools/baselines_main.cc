// Builds the cheap baseline channels (markov, knn, content, pop) on the
// leave-one-out training view of an Amazon-format dataset, prints their
// validation and test metrics and optionally writes each as a model
// directory. --sweep also prints validation metrics over a small grid of each
// model's main hyperparameters (how the defaults were chosen).
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/strings/str_format.h"
#include "recd/content_hash.h"
#include "recd/data_loaders.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"
#include "train/content_builder.h"
#include "train/knn_builder.h"
#include "train/markov_builder.h"
#include "train/pop_builder.h"

namespace recd {
namespace {

struct Context {
  Dataset train;
  LeaveOneOutSplit split;
  std::string data_hash;
  std::string out_dir;  // empty: do not save
  std::string items_hash;
};

RankingMetrics Valid(const Scorer& scorer, const Context& ctx) {
  return EvaluateScorer(scorer, ctx.split, EvalTarget::kValidation);
}

void PrintValid(const std::string& label, const Scorer& scorer, const Context& ctx) {
  const RankingMetrics v = Valid(scorer, ctx);
  std::printf("  %-48s valid HR@10 %.4f NDCG@10 %.4f\n", label.c_str(), v.hr10, v.ndcg10);
  std::fflush(stdout);
}

// Prints validation and test metrics of the default model and saves it.
template <typename ScorerT>
int Finish(const std::string& name, absl::StatusOr<std::unique_ptr<ScorerT>> scorer,
           double build_seconds, const Context& ctx) {
  if (!scorer.ok()) {
    std::fprintf(stderr, "%s: %s\n", name.c_str(), std::string(scorer.status().message()).c_str());
    return 1;
  }
  const auto start = std::chrono::steady_clock::now();
  const RankingMetrics v = Valid(**scorer, ctx);
  const double eval_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const RankingMetrics t = EvaluateScorer(**scorer, ctx.split, EvalTarget::kTest);
  std::printf(
      "%-8s build %.2fs  valid HR@10 %.4f NDCG@10 %.4f  test HR@10 %.4f NDCG@10 %.4f  "
      "(validation pass: %lld users, Encode + ScoreAll + rank, %.2fs)\n",
      name.c_str(), build_seconds, v.hr10, v.ndcg10, t.hr10, t.ndcg10,
      static_cast<long long>(v.users), eval_seconds);
  std::fflush(stdout);
  if (ctx.out_dir.empty()) return 0;
  ModelManifest base;
  base.data_hash = ctx.data_hash;
  base.metrics = {{"HR@10", v.hr10}, {"NDCG@10", v.ndcg10}};  // validation only
  base.params["items_hash"] = ctx.items_hash;
  const absl::Status s = (*scorer)->Save(ctx.out_dir + "/" + name, base);
  if (!s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}

template <typename Build>
int Run(const std::string& name, Build build, const Context& ctx) {
  const auto start = std::chrono::steady_clock::now();
  auto scorer = build();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return Finish(name, std::move(scorer), seconds, ctx);
}

void SweepMarkov(const Context& ctx) {
  for (float skip1 : {0.0f, 0.5f, 1.0f}) {
    for (float skip2 : {0.0f, 0.5f}) {
      for (float smoothing : {0.0f, 3.0f}) {
        MarkovBuilderOptions o;
        o.skip1_weight = skip1;
        o.skip2_weight = skip2;
        o.smoothing = smoothing;
        PrintValid(absl::StrFormat("skip1 %.1f skip2 %.1f smoothing %.0f", skip1, skip2, smoothing),
                   **BuildMarkov(ctx.train, o), ctx);
      }
    }
  }
  {
    // The classic first-order chain: adjacent transitions, last item only.
    MarkovBuilderOptions o;
    o.skip1_weight = 0.0f;
    o.skip2_weight = 0.0f;
    o.scoring.history_items = 1;
    auto last_item = BuildMarkov(ctx.train, o);
    const RankingMetrics t = EvaluateScorer(**last_item, ctx.split, EvalTarget::kTest);
    PrintValid(absl::StrFormat("last-item, adjacent only (test HR@10 %.4f NDCG@10 %.4f)", t.hr10,
                               t.ndcg10),
               **last_item, ctx);
  }
  auto base = BuildMarkov(ctx.train, {});
  for (int32_t items : {1, 2, 3, 5}) {
    for (float decay : {0.1f, 0.3f, 0.5f}) {
      MarkovScoring sc;
      sc.history_items = items;
      sc.recency_decay = decay;
      PrintValid(absl::StrFormat("history_items %d recency_decay %.1f", items, decay),
                 *(*base)->WithScoring(sc), ctx);
    }
  }
}

void SweepKnn(const Context& ctx) {
  for (float shrink : {0.0f, 50.0f, 100.0f}) {
    for (float dist : {1.0f, 0.9f, 0.7f}) {
      for (float back : {1.0f, 0.3f}) {
        KnnBuilderOptions o;
        o.shrinkage = shrink;
        o.distance_decay = dist;
        o.backward_weight = back;
        PrintValid(absl::StrFormat("shrinkage %.0f distance_decay %.1f backward %.1f", shrink,
                                   dist, back),
                   **BuildKnn(ctx.train, o), ctx);
      }
    }
  }
  auto base = BuildKnn(ctx.train, {});
  for (float decay : {0.5f, 0.6f, 0.7f, 0.8f, 1.0f}) {
    KnnScoring sc;
    sc.recency_decay = decay;
    PrintValid(absl::StrFormat("recency_decay %.1f", decay), *(*base)->WithScoring(sc), ctx);
  }
}

void SweepContent(const Context& ctx) {
  for (float idf_power : {0.0f, 1.0f, 2.0f, 3.0f}) {
    ContentBuilderOptions o;
    o.idf_power = idf_power;
    PrintValid(absl::StrFormat("idf_power %.0f", idf_power), **BuildContent(ctx.train, o), ctx);
  }
  auto base = BuildContent(ctx.train, {});
  for (float decay : {0.3f, 0.5f, 0.7f, 0.9f, 1.0f}) {
    for (float prior : {0.0f, 1e-3f, 0.3f}) {
      ContentScoring sc;
      sc.recency_decay = decay;
      sc.prior_weight = prior;
      PrintValid(absl::StrFormat("recency_decay %.1f prior_weight %.3f", decay, prior),
                 *(*base)->WithScoring(sc), ctx);
    }
  }
}

void SweepPop(const Context& ctx) {
  PrintValid("plain counts", **BuildPop(ctx.train, {}), ctx);
  for (double half_life : {1.0, 3.0, 10.0}) {
    PopBuilderOptions o;
    o.half_life = half_life;
    o.clock = PopBuilderOptions::Clock::kPositionFromEnd;
    PrintValid(absl::StrFormat("position half_life %.0f", half_life), **BuildPop(ctx.train, o),
               ctx);
  }
  for (int32_t last_n : {1, 2, 3, 5}) {
    PopBuilderOptions o;
    o.last_n_per_user = last_n;
    PrintValid(absl::StrFormat("last_n_per_user %d", last_n), **BuildPop(ctx.train, o), ctx);
  }
}

int Main(int argc, char** argv) {
  CLI::App app{"Build, evaluate and save the markov/knn/content/pop baselines"};
  std::string sequences = "../shared/data/amazon-beauty/Beauty.txt";
  std::string attributes = "../shared/data/amazon-beauty/Beauty_item2attributes.json";
  std::string model = "all";
  int32_t pop_last_n = 1;
  bool sweep = false;
  Context ctx;
  app.add_option("--sequences", sequences, "Amazon-format sequence file");
  app.add_option("--attributes", attributes, "item -> attribute ids JSON");
  app.add_option("--model", model, "markov|knn|content|pop|all");
  app.add_option("--out_dir", ctx.out_dir, "write each model to <out_dir>/<name>");
  app.add_option("--pop_last_n", pop_last_n,
                 "pop counts each user's last N events (positions stand in for time); 0 = all");
  app.add_flag("--sweep", sweep, "print validation metrics over a hyperparameter grid");
  CLI11_PARSE(app, argc, argv);

  LoadReport report;
  auto data = LoadAmazonSequences(sequences, attributes, &report);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", std::string(data.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", report.Summary().c_str());
  ctx.split = SplitLeaveOneOut(*data);
  ctx.train = TrainingView(*data, ctx.split);
  if (auto hash = HashFile(sequences); hash.ok()) ctx.data_hash = *hash;

  if (!ctx.out_dir.empty()) {
    // The bundle's id mapping, which the model directories' dense ids index.
    const std::string items_path = ctx.out_dir + "/items.txt";
    std::filesystem::create_directories(ctx.out_dir);
    if (absl::Status s = data->items.Save(items_path); !s.ok()) {
      std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
      return 1;
    }
    if (auto hash = HashFile(items_path); hash.ok()) ctx.items_hash = *hash;
  }
  const auto want = [&](const char* name) { return model == "all" || model == name; };
  int rc = 0;
  if (want("markov")) {
    rc |= Run("markov", [&] { return BuildMarkov(ctx.train, {}); }, ctx);
    if (sweep) SweepMarkov(ctx);
  }
  if (want("knn")) {
    rc |= Run("knn", [&] { return BuildKnn(ctx.train, {}); }, ctx);
    if (sweep) SweepKnn(ctx);
  }
  if (want("content")) {
    rc |= Run("content", [&] { return BuildContent(ctx.train, {}); }, ctx);
    if (sweep) SweepContent(ctx);
  }
  if (want("pop")) {
    PopBuilderOptions o;
    o.last_n_per_user = pop_last_n;
    rc |= Run("pop", [&] { return BuildPop(ctx.train, o); }, ctx);
    if (sweep) SweepPop(ctx);
  }
  return rc;
}

}  // namespace
}  // namespace recd

int main(int argc, char** argv) { return recd::Main(argc, argv); }
