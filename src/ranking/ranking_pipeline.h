#ifndef RECD_RANKING_RANKING_PIPELINE_H_
#define RECD_RANKING_RANKING_PIPELINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "fusion/fusion_layer.h"
#include "util/thread_pool.h"
#include "recd/fusion_config.h"
#include "recd/model_bundle.h"
#include "recd/scorer.h"

namespace recd {

// One ranking question: who, how many, and what must not come back.
struct RankRequest {
  UserHistory history;
  int k = 10;
  bool exclude_history = true;          // never recommend what the user already has
  std::vector<int32_t> exclude;         // further dense item ids to leave out
  std::vector<int32_t> candidates;      // items to rank; empty = the whole catalog
  bool explain = false;                 // keep per-model scores of the returned items
  // Business rules: items for which `allowed` is false never come back
  // (stock, categories, purchased); unset = all allowed.
  std::function<bool(int32_t item)> allowed;
  // Diversity: at most max_per_group items of one group (e.g. category) in
  // the answer; 0 = no cap. REQUIRES: group_of set when max_per_group > 0.
  int max_per_group = 0;
  std::function<int32_t(int32_t item)> group_of;
};

// How the scorers of one request run. The default runs them one after the
// other on the calling thread with no time limit (offline evaluation); the
// daemon passes a pool, the caller's deadline and per-model budgets.
struct ScoringOptions {
  ThreadPool* pool = nullptr;
  absl::Time deadline = absl::InfiniteFuture();
  // Longest a model may take; a model still running then is left out.
  std::function<absl::Duration(std::string_view model)> budget;
};

// What happened to each model in one request, for metrics and `degraded`.
struct ScorerOutcome {
  std::string model;
  enum Kind { kOk, kFailed, kTimedOut } kind = kOk;
  absl::Duration latency;
  std::string error;
};

struct RankedItem {
  int32_t item = -1;
  float score = 0;
  // With explain: one entry per model, in RankingResult::models order.
  std::vector<float> raw;
  std::vector<float> normalized;
};

struct RankingResult {
  std::vector<RankedItem> items;      // best first, at most k
  std::vector<std::string> models;    // models that took part, for explain
  std::vector<double> weights;        // their weights, same order
  std::vector<ScorerOutcome> outcomes;  // every weighted model, ran or not
  std::vector<std::string> degraded;    // models left out of this answer
};

// The request path shared by the daemon and recd-eval: candidates ->
// every weighted scorer -> fusion -> exclusions -> top k. Holds a snapshot of
// the bundle and the fusion config; immutable and thread-safe.
class RankingPipeline {
 public:
  RankingPipeline(std::shared_ptr<const ModelBundle> bundle, FusionConfig fusion);

  const ModelBundle& bundle() const { return *bundle_; }
  const FusionConfig& fusion() const { return fusion_; }

  // Fused score of every candidate (all items when `candidates` is empty),
  // and each contributing model's raw and normalised scores.
  // Models that fail or overrun their budget are left out of the blend and
  // reported in `outcomes` (optional).
  void FusedScores(const UserHistory& history, std::span<const int32_t> candidates,
                   std::vector<float>& fused, std::vector<ModelScores>& per_model,
                   const ScoringOptions& options = {},
                   std::vector<ScorerOutcome>* outcomes = nullptr) const;

  RankingResult Rank(const RankRequest& request, const ScoringOptions& options = {}) const;

  // The rules-and-top-k half of Rank(), for callers that already hold the
  // fused scores of `request` (recd-eval ranks with these very scores).
  RankingResult SelectTop(const RankRequest& request, std::span<const float> fused,
                          const std::vector<ModelScores>& per_model) const;

 private:
  // Runs the weighted scorers, inline or on options.pool.
  void RunScorers(const std::vector<const Scorer*>& scorers, const UserHistory& history,
                  std::span<const int32_t> candidates, const ScoringOptions& options,
                  std::vector<ModelScores>& per_model, std::vector<ScorerOutcome>& outcomes) const;

  std::shared_ptr<const ModelBundle> bundle_;
  FusionConfig fusion_;
};

// Indices of the k largest scores, best first, skipping `banned` positions.
std::vector<int32_t> TopK(std::span<const float> scores, int k, const std::vector<bool>& banned);

}  // namespace recd

#endif  // RECD_RANKING_RANKING_PIPELINE_H_
