// Builds the cheap baseline channels (markov, knn, content, pop) on the
// leave-one-out training view of an Amazon-format dataset and prints their
// validation and test metrics; optionally sweeps the main hyperparameters on
// the validation target.
#include <chrono>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "recd/data_loaders.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"
#include "train/content_builder.h"
#include "train/knn_builder.h"
#include "train/markov_builder.h"
#include "train/pop_builder.h"

namespace recd {
namespace {

double Seconds(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

void Report(const std::string& label, const Scorer& scorer, const LeaveOneOutSplit& split,
            bool test) {
  const RankingMetrics valid = EvaluateScorer(scorer, split, EvalTarget::kValidation);
  std::printf("%-40s valid HR@10 %.4f NDCG@10 %.4f", label.c_str(), valid.hr10, valid.ndcg10);
  if (test) {
    const RankingMetrics t = EvaluateScorer(scorer, split, EvalTarget::kTest);
    std::printf("  test HR@10 %.4f NDCG@10 %.4f", t.hr10, t.ndcg10);
  }
  std::printf("\n");
  std::fflush(stdout);
}

int Run(int argc, char** argv) {
  CLI::App app{"Build and evaluate the markov/knn/content/pop baselines"};
  std::string sequences = "/work/shared/data/amazon-beauty/Beauty.txt";
  std::string attributes = "/work/shared/data/amazon-beauty/Beauty_item2attributes.json";
  std::string model = "all";
  bool sweep = false;
  app.add_option("--sequences", sequences, "Amazon-format sequence file");
  app.add_option("--attributes", attributes, "item -> attribute ids JSON");
  app.add_option("--model", model, "markov|knn|content|pop|all");
  app.add_flag("--sweep", sweep, "sweep hyperparameters on the validation target");
  CLI11_PARSE(app, argc, argv);

  LoadReport report;
  auto data = LoadAmazonSequences(sequences, attributes, &report);
  if (!data.ok()) {
    std::fprintf(stderr, "%s\n", std::string(data.status().message()).c_str());
    return 1;
  }
  std::printf("%s\n", report.Summary().c_str());
  const LeaveOneOutSplit split = SplitLeaveOneOut(*data);
  const Dataset train = TrainingView(*data, split);

  if (model == "markov" || model == "all") {
    const auto start = std::chrono::steady_clock::now();
    auto scorer = BuildMarkov(train, MarkovBuilderOptions{});
    if (!scorer.ok()) return 1;
    std::printf("markov build %.2fs\n", Seconds(start));
    Report("markov default", **scorer, split, true);
    if (sweep) {
      for (float skip1 : {0.0f, 0.25f, 0.5f, 1.0f}) {
        for (float skip2 : {0.0f, 0.25f, 0.5f}) {
          for (float smoothing : {0.0f, 1.0f, 3.0f}) {
            MarkovBuilderOptions o;
            o.skip1_weight = skip1;
            o.skip2_weight = skip2;
            o.smoothing = smoothing;
            auto s = BuildMarkov(train, o);
            char label[128];
            std::snprintf(label, sizeof(label), "markov skip1 %.2f skip2 %.2f smooth %.1f", skip1,
                          skip2, smoothing);
            Report(label, **s, split, false);
          }
        }
      }
      auto base = BuildMarkov(train, MarkovBuilderOptions{});
      for (int32_t items : {1, 2, 3, 5, 0}) {
        for (float decay : {0.1f, 0.3f, 0.5f, 0.7f}) {
          for (float prior : {0.0f, 1e-3f}) {
            auto s = (*base)->WithScoring({items, decay, prior});
            char label[128];
            std::snprintf(label, sizeof(label), "markov items %d decay %.2f prior %.0e", items,
                          decay, prior);
            Report(label, *s, split, false);
          }
        }
      }
    }
  }

  if (model == "knn" || model == "all") {
    const auto start = std::chrono::steady_clock::now();
    auto scorer = BuildKnn(train, KnnBuilderOptions{});
    if (!scorer.ok()) return 1;
    std::printf("knn build %.2fs\n", Seconds(start));
    Report("knn default", **scorer, split, true);
    if (sweep) {
      for (float shrink : {0.0f, 10.0f, 50.0f}) {
        for (float dist : {1.0f, 0.8f, 0.5f}) {
          for (float back : {1.0f, 0.5f, 0.2f}) {
            for (bool iuf : {true, false}) {
              KnnBuilderOptions o;
              o.shrinkage = shrink;
              o.distance_decay = dist;
              o.backward_weight = back;
              o.inverse_user_frequency = iuf;
              auto s = BuildKnn(train, o);
              char label[128];
              std::snprintf(label, sizeof(label), "knn shrink %.0f dist %.1f back %.1f iuf %d",
                            shrink, dist, back, iuf);
              Report(label, **s, split, false);
            }
          }
        }
      }
      for (int32_t items : {1, 3, 0}) {
        for (float decay : {0.3f, 0.5f, 0.7f, 0.9f}) {
          for (float prior : {0.0f, 1e-3f}) {
            KnnScoring sc;
            sc.history_items = items;
            sc.recency_decay = decay;
            sc.prior_weight = prior;
            auto s = (*scorer)->WithScoring(sc);
            char label[128];
            std::snprintf(label, sizeof(label), "knn items %d decay %.2f prior %.0e", items, decay,
                          prior);
            Report(label, *s, split, false);
          }
        }
      }
    }
  }

  if (model == "pop" || model == "all") {
    auto scorer = BuildPop(train, PopBuilderOptions{});
    if (!scorer.ok()) return 1;
    Report("pop default", **scorer, split, true);
    if (sweep) {
      for (double half_life : {1.0, 3.0, 10.0}) {
        PopBuilderOptions o;
        o.half_life = half_life;
        o.clock = PopBuilderOptions::Clock::kPositionFromEnd;
        char label[128];
        std::snprintf(label, sizeof(label), "pop position half-life %.0f", half_life);
        Report(label, **BuildPop(train, o), split, true);
      }
      for (int32_t last_n : {1, 3, 5}) {
        PopBuilderOptions o;
        o.last_n_per_user = last_n;
        char label[128];
        std::snprintf(label, sizeof(label), "pop last %d per user", last_n);
        Report(label, **BuildPop(train, o), split, true);
      }
    }
  }

  if (model == "content" || model == "all") {
    const auto start = std::chrono::steady_clock::now();
    auto scorer = BuildContent(train, ContentBuilderOptions{});
    if (!scorer.ok()) return 1;
    std::printf("content build %.2fs, %zu tokens, %ld nonzeros\n", Seconds(start),
                (*scorer)->tokens().size(), static_cast<long>((*scorer)->item_vectors().nonZeros()));
    Report("content default", **scorer, split, true);
    if (sweep) {
      for (float idf_power : {0.0f, 0.5f, 2.0f, 3.0f}) {
        ContentBuilderOptions o;
        o.idf_power = idf_power;
        char label[128];
        std::snprintf(label, sizeof(label), "content idf_power %.1f", idf_power);
        Report(label, **BuildContent(train, o), split, false);
      }
      for (int32_t items : {0}) {
        for (float decay : {0.3f, 0.5f, 0.7f, 0.9f}) {
          for (float prior : {1e-3f, 1e-1f, 3e-1f}) {
            ContentScoring sc;
            sc.history_items = items;
            sc.recency_decay = decay;
            sc.prior_weight = prior;
            auto s = (*scorer)->WithScoring(sc);
            char label[128];
            std::snprintf(label, sizeof(label), "content items %d decay %.2f prior %.0e", items,
                          decay, prior);
            Report(label, *s, split, false);
          }
        }
      }
    }
  }
  return 0;
}

}  // namespace
}  // namespace recd

int main(int argc, char** argv) { return recd::Run(argc, argv); }
