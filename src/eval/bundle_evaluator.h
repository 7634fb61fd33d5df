#ifndef RECD_EVAL_BUNDLE_EVALUATOR_H_
#define RECD_EVAL_BUNDLE_EVALUATOR_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "recd/fusion_config.h"
#include "ranking/ranking_pipeline.h"
#include "recd/dataset.h"
#include "recd/evaluator.h"
#include "util/progress_reporter.h"

namespace recd {

struct EvaluationOptions {
  EvalTarget target = EvalTarget::kTest;
  int64_t max_users = 0;  // 0 = every user with a target
  int list_k = 10;        // cutoff for coverage, diversity and novelty
  int top_k = 20;         // length of the fused lists kept for predictions
  // Draws a bar over the users evaluated (recd-eval: stderr). Default none.
  ProgressFactory progress;
  // Rank each target from the user's last history item alone, viewed, with
  // no user id, as SimilarItems ranks that item's neighbours (the fusion
  // line with fusion.similar_profile when it names one). Users without a
  // history, or whose target is that item again, are not evaluated.
  // Default off: from the whole history.
  bool from_last_item = false;
  // Blend with this fusion instead of the bundle's (EvaluateBundleDir).
  std::optional<FusionConfig> fusion;
  // Also rank the same users over the whole catalog, with the same bundle
  // loaded once (EvaluateBundleDir: EvaluatedBundle::full_scan).
  bool versus_full_scan = false;
};

// Accuracy and beyond-accuracy figures of one ranker.
struct ModelReport {
  std::string name;
  RankingMetrics ranking;
  double coverage = 0;   // share of the catalog in anybody's top list_k
  double diversity = 0;  // mean pairwise (1 - Jaccard) of item features in a top list
  double novelty = 0;    // mean -log2 popularity share of recommended items
};

struct EvaluationReport {
  std::vector<ModelReport> models;          // each single model, then "fusion"
  std::vector<int32_t> users;               // evaluated users (dense ids)
  std::vector<std::vector<int32_t>> fused;  // [i] -> fused top_k of users[i]

  nlohmann::json ToJson() const;
  std::string ToTable() const;
};

// Ranks the whole catalog for every user with a target, with each model of
// the pipeline's bundle alone and with the pipeline's fusion, under the
// leave-one-out protocol (history items excluded; options.from_last_item:
// from the last one alone). `data` supplies item
// features (diversity) and the user ids; popularity comes from split.train.
EvaluationReport EvaluateBundle(const RankingPipeline& pipeline, const Dataset& data,
                                const LeaveOneOutSplit& split, const EvaluationOptions& options);

// The mean share of each user's fused top k in `reference` that `ranked`'s
// fused top k also holds: with `reference` a whole-catalog ranking of the
// same users, the candidate stage's recall of the top k (under zscore
// fusion a score does not depend on which items were nominated, so an item
// the stage found keeps its place). InvalidArgument unless both evaluated
// the same users.
absl::StatusOr<double> MeanTopKAgreement(const EvaluationReport& ranked, const EvaluationReport& reference, int k);

}  // namespace recd

#endif  // RECD_EVAL_BUNDLE_EVALUATOR_H_
