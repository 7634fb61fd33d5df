#ifndef RECD_RANKING_RANKING_PIPELINE_H_
#define RECD_RANKING_RANKING_PIPELINE_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "fusion/fusion_layer.h"
#include "retrieval/candidate_stage.h"
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
  // With candidates: put each model's scores on the scale of the whole
  // catalog, so the candidates come back in the order, and with the scores,
  // a whole-catalog ranking gives them whatever the normalisation (a
  // caller's own list, RankItems). A pipeline that scans the catalog scores
  // it all and keeps the candidates; a retrieving one (large catalogs)
  // scores the candidates alone, on catalog moments under zscore.
  bool catalog_scale = false;
  // A fusion profile (FusionConfig::profiles) to blend with instead of the
  // weights for the history's length; "" = those. REQUIRES: the pipeline's
  // fusion has it (an unknown name weights no model: popularity fallback).
  std::string profile;
  bool explain = false;                 // keep per-model scores of the returned items
  // Business rules: items for which `allowed` is false never come back
  // (stock, categories, purchased); unset = all allowed.
  std::function<bool(int32_t item)> allowed;
  // Diversity: at most max_per_group items of one group (e.g. category) in
  // the answer; 0 = no cap. REQUIRES: group_of set when max_per_group > 0.
  int max_per_group = 0;
  std::function<int32_t(int32_t item)> group_of;
  // On large catalogs, when rules leave fewer than k nominated items and
  // deeper nomination does not fill k either: at most this many allowed
  // items are scored directly (in id order). Bounds a request's cost on any
  // rule; the answer may then be short.
  int max_rule_scan_items = 20000;
  // The user already encoded, by position in the bundle's scorers (e.g. from
  // a per-user cache kept fresh as events arrive). Empty, or a null entry:
  // that model encodes `history` itself.
  std::vector<std::shared_ptr<const UserState>> states;
  // The given states encode `history` without its last `states_behind`
  // events (a session's items on top of the stored history): a model
  // extends its state by them (Scorer::Extend: an LSTM steps once per item)
  // instead of encoding the whole history.
  size_t states_behind = 0;
  // When > 0 and every model ranks: also keep this many of the best fused
  // items before this request's own rules (RankingResult::top), so a later
  // request for the same history costs its rules and top k only.
  int keep_top = 0;
  // The generation of the live item statistics the models read (0 = none),
  // stamped on a kept top list; one ranked on a generation older than
  // min_live_generation is not served.
  uint64_t live_generation = 0;
  uint64_t min_live_generation = 0;
};

// How the scorers of one request run. The default runs them one after the
// other on the calling thread with no time limit (offline evaluation); the
// daemon passes a pool, the caller's deadline and per-model budgets.
struct ScoringOptions {
  ThreadPool* pool = nullptr;
  // The caller's deadline. A model task that starts after it, or after the
  // request stopped waiting for it, is skipped: nobody waits for its answer.
  absl::Time deadline = absl::InfiniteFuture();
  // Longest a model may take; a model still running then is left out.
  std::function<absl::Duration(std::string_view model)> budget;
  // Counts model tasks skipped that way (optional; must outlive the pool).
  std::atomic<int64_t>* skipped_tasks = nullptr;
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

// The best fused items of one history, before any request's rules (only the
// history itself left out), with every model's scores: what a per-user
// result cache keeps. Stamped with what made it, so it serves only requests
// the full pipeline would have answered from the very same scores.
struct FusedTopList {
  uint64_t pipeline_id = 0;     // RankingPipeline::id(): bundle, fusion, search
  uint64_t live_generation = 0; // RankRequest::live_generation it was ranked at
  int depth = 0;                // nomination depth; 0 = the whole catalog
  bool exclude_history = true;
  bool truncated = false;       // more items were ranked than `items` holds
  std::vector<int32_t> items;   // best first
  std::vector<float> scores;    // fused, same order
  std::vector<ModelScores> per_model;  // each model's scores of `items`, same order
};

struct RankingResult {
  std::vector<RankedItem> items;      // best first, at most k
  std::vector<std::string> models;    // models that took part, for explain
  std::vector<double> weights;        // their weights, same order
  std::vector<ScorerOutcome> outcomes;  // every weighted model, ran or not
  std::vector<std::string> degraded;    // models left out of this answer
  // No weighted model could rank: the items are the popularity model's
  // (`models` is {"pop"}), or empty (`models` empty) when that failed too,
  // the bundle has none or the deadline passed. Never unscored items.
  bool fallback = false;
  // Whether any model ranked: false = no answer at all (a fallback with
  // nothing), which the daemon refuses rather than send.
  bool answered() const { return !fallback || !models.empty(); }
  // The user as each model encoded them, by bundle scorer position; null
  // for models that did not run or failed. What a per-user cache keeps.
  std::vector<std::shared_ptr<const UserState>> states;
  // With RankRequest::keep_top and no model left out: the fused top list.
  std::shared_ptr<const FusedTopList> top;
};

// The request path shared by the daemon and recd-eval: every weighted
// scorer encodes the user in parallel -> on large catalogs each nominates
// its best items and the union is the candidate set -> the scorers score the
// candidates (or the whole catalog) -> fusion -> rules -> top k. Holds a
// snapshot of the bundle, the fusion config and the bundle's candidate
// stage; immutable and thread-safe.
class RankingPipeline {
 public:
  // `candidates` may be null (always score the whole catalog); otherwise it
  // must have been built for `bundle`. `search` says how much each request
  // retrieves from it; the stage does not hold it, so a change of these
  // settings shares the stage and its indexes.
  RankingPipeline(std::shared_ptr<const ModelBundle> bundle, FusionConfig fusion,
                  std::shared_ptr<const CandidateStage> candidates = nullptr,
                  CandidateSearchOptions search = {});

  const ModelBundle& bundle() const { return *bundle_; }
  const FusionConfig& fusion() const { return fusion_; }
  const CandidateSearchOptions& search() const { return search_; }
  // Distinct for every pipeline of the process: a FusedTopList made by
  // another pipeline (another bundle, fusion or search setting) never serves.
  uint64_t id() const { return id_; }
  // True when Rank() scores retrieved candidates rather than the catalog.
  bool retrieves() const { return candidates_ != nullptr && candidates_->enabled(); }

  // The user encoded by every scorer of the bundle, by position; what
  // RankRequest::states takes. Throws what a scorer's Encode throws.
  std::vector<std::shared_ptr<const UserState>> EncodeAll(const UserHistory& history) const;

  // Fused score of every candidate (all items when `candidates` is empty),
  // and each contributing model's raw and normalised scores.
  // Models that fail or overrun their budget are left out of the blend and
  // reported in `outcomes` (optional).
  void FusedScores(const UserHistory& history, std::span<const int32_t> candidates,
                   std::vector<float>& fused, std::vector<ModelScores>& per_model,
                   const ScoringOptions& options = {},
                   std::vector<ScorerOutcome>* outcomes = nullptr) const;

  RankingResult Rank(const RankRequest& request, const ScoringOptions& options = {}) const;

  // The answer Rank() would give `request`, read from `top` (kept by an
  // earlier Rank of the same history): its rules and top k over the list.
  // Nullopt when the list cannot say: made by another pipeline, at another
  // depth, or fewer than k of its items pass the rules.
  std::optional<RankingResult> SelectFromTop(const RankRequest& request, const FusedTopList& top) const;

  // The rules-and-top-k half of Rank(), for callers that already hold the
  // fused scores of `request` (recd-eval ranks with these very scores).
  RankingResult SelectTop(const RankRequest& request, std::span<const float> fused,
                          const std::vector<ModelScores>& per_model) const;

 private:
  // One weighted model's part of one request.
  struct ModelRun {
    size_t index = 0;                        // in bundle().scorers()
    std::shared_ptr<const UserState> state;  // given, or encoded in phase one
    std::vector<int32_t> retrieved;          // its nominations
    std::vector<float> raw;                  // its scores of the ranked items
    ScorerOutcome outcome;
  };

  static bool AnyOk(const std::vector<ModelRun>& runs);
  // The weights `request` blends with: its profile's, or its history's.
  const std::map<std::string, double>& WeightsOf(const RankRequest& request) const;
  // The sorted, distinct items the models still in nominated, and the
  // bundle's new items (ModelBundle::trained_items).
  std::vector<int32_t> UnionOfNominations(const std::vector<ModelRun>& runs) const;
  // The weighted models of a request, with any states the caller supplied.
  std::vector<ModelRun> WeightedRuns(const std::map<std::string, double>& weights,
                                     std::span<const std::shared_ptr<const UserState>> states) const;
  // Phase one, inline or on options.pool: each model encodes the user (or
  // extends its given state by the last `behind` events), then nominates
  // `retrieve` candidates (retrieve > 0, with search_'s beam) or scores
  // `candidates` (all items when empty). Models that fail or overrun are
  // marked so.
  void RunModels(std::vector<ModelRun>& runs, const UserHistory& history, size_t behind,
                 std::span<const int32_t> candidates, int retrieve, const ScoringOptions& options) const;
  // Phase two after retrieval, on the calling thread: each model that is
  // still in scores `items` (all items when empty) from its state; a model
  // reached after the deadline is left out as timed out.
  void ScoreFromStates(std::vector<ModelRun>& runs, std::span<const int32_t> items,
                       absl::Time deadline) const;
  // Moves the raw scores of the models still in into `per_model` and blends
  // them into `fused`, one score per item of `items` (all when empty).
  void Blend(std::vector<ModelRun>& runs, const std::map<std::string, double>& weights,
             std::span<const int32_t> items, std::vector<float>& fused,
             std::vector<ModelScores>& per_model) const;
  // Fusion of the models still in, then SelectTop over `items`; with `top`,
  // also the request's keep_top best fused items before its rules.
  RankingResult FuseAndSelect(const RankRequest& request, std::vector<ModelRun>& runs,
                              const std::map<std::string, double>& weights, std::span<const int32_t> items,
                              std::shared_ptr<const FusedTopList>* top = nullptr, int depth = 0) const;
  // How deep each model nominates for `request` on a retrieving pipeline.
  int NominationDepth(const RankRequest& request) const;
  std::shared_ptr<const FusedTopList> KeepTop(const RankRequest& request, std::span<const int32_t> items,
                                              std::span<const float> fused, const std::vector<ModelScores>& per_model,
                                              int depth) const;
  // Rules left fewer than k of the nominated items: nominate deeper, then
  // score a bounded slice of the allowed items; never the whole catalog.
  RankingResult Widen(const RankRequest& request, std::vector<ModelRun>& runs,
                      const std::map<std::string, double>& weights, int depth, RankingResult short_result,
                      const ScoringOptions& options) const;
  // The answer when no weighted model produced scores: popularity alone,
  // unless it failed in this request, the bundle has no "pop" model or the
  // deadline has passed.
  RankingResult Fallback(const RankRequest& request, const std::vector<ModelRun>& runs,
                         absl::Time deadline) const;
  RankingResult Select(const RankRequest& request, std::span<const int32_t> items,
                       std::span<const float> fused, const std::vector<ModelScores>& per_model) const;

  std::shared_ptr<const ModelBundle> bundle_;
  FusionConfig fusion_;
  std::shared_ptr<const CandidateStage> candidates_;
  CandidateSearchOptions search_;
  uint64_t id_;
};

// Indices of the k largest scores, best first, skipping `banned` positions.
std::vector<int32_t> TopK(std::span<const float> scores, int k, const std::vector<bool>& banned);

}  // namespace recd

#endif  // RECD_RANKING_RANKING_PIPELINE_H_
