#include "ranking/ranking_pipeline.h"

#include <algorithm>
#include <exception>
#include <numeric>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace recd {
namespace {

// Scores `items` (all items when empty) into `raw` from an encoded user.
void ScoreItems(const Scorer& scorer, const UserState& state, std::span<const int32_t> items,
                std::vector<float>& raw) {
  if (items.empty()) {
    raw.resize(static_cast<size_t>(scorer.num_items()));
    scorer.ScoreAll(state, raw);
  } else {
    raw.resize(items.size());
    scorer.ScoreCandidates(state, items, raw);
  }
}

// Phase one of one model: encode the user unless the caller supplied the
// state (extend it when it is `behind` events short), then nominate candidates (`source` set) or score `items` (all
// items when empty). Exceptions (bad_alloc, a broken model) become a failure
// of this model for this request instead of a crash.
void RunModel(const Scorer& scorer, const UserHistory& history, std::span<const int32_t> items,
              const CandidateSource* source, int retrieve, int ef, size_t behind,
              std::shared_ptr<const UserState>& state, std::vector<int32_t>& retrieved, std::vector<float>& raw,
              ScorerOutcome& outcome) {
  outcome.model = std::string(scorer.name());
  const absl::Time start = absl::Now();
  try {
    if (state == nullptr) {
      state = scorer.Encode(history);
    } else if (behind > 0) {
      state = scorer.Extend(*state, history, behind);
    }
    if (source != nullptr) {
      source->Retrieve(*state, retrieve, ef, retrieved);
    } else {
      ScoreItems(scorer, *state, items, raw);
    }
  } catch (const std::exception& e) {
    outcome.kind = ScorerOutcome::kFailed;
    outcome.error = e.what();
  }
  outcome.latency = absl::Now() - start;
}

// What a request shares with its model tasks. Tasks own copies of their
// inputs: a task that overruns its budget finishes after the request has
// answered, and must not touch the request's memory.
struct ScoringJob {
  std::vector<Event> events;
  std::vector<int32_t> items;
  absl::Time deadline;
  // Set when the request stops waiting: tasks not yet started then skip.
  std::atomic<bool> abandoned{false};
  // Per model: set by whichever thread takes its task first, a pool thread
  // or the request's own (which runs models whose state it was given
  // rather than wait for a pool thread to do it).
  std::unique_ptr<std::atomic<bool>[]> claimed;
  std::atomic<int64_t>* skipped_tasks = nullptr;
  absl::Mutex mu;
  int remaining ABSL_GUARDED_BY(mu) = 0;
  std::vector<bool> done ABSL_GUARDED_BY(mu);
  std::vector<std::shared_ptr<const UserState>> states ABSL_GUARDED_BY(mu);
  std::vector<std::vector<int32_t>> retrieved ABSL_GUARDED_BY(mu);
  std::vector<std::vector<float>> raw ABSL_GUARDED_BY(mu);
  std::vector<ScorerOutcome> outcomes ABSL_GUARDED_BY(mu);
};

// Model i's part of `job` (RunModel over the job's copies), recorded for
// the request that waits for it.
void RunAndRecord(ScoringJob& job, size_t i, const Scorer& scorer, int32_t user, const CandidateSource* source,
                  int retrieve, int ef, size_t behind, std::shared_ptr<const UserState> state) {
  std::vector<int32_t> retrieved;
  std::vector<float> raw;
  ScorerOutcome outcome;
  RunModel(scorer, UserHistory{job.events, user}, job.items, source, retrieve, ef, behind, state, retrieved, raw,
           outcome);
  absl::MutexLock lock(&job.mu);
  job.states[i] = std::move(state);
  job.retrieved[i] = std::move(retrieved);
  job.raw[i] = std::move(raw);
  job.outcomes[i] = std::move(outcome);
  job.done[i] = true;
  --job.remaining;
}

// Positions of the answer, best first: the top k of the allowed items, with
// at most max_per_group per group when a diversity cap is set.
std::vector<int32_t> SelectPositions(const RankRequest& request, std::span<const int32_t> items,
                                     std::span<const float> fused, const std::vector<bool>& banned) {
  if (request.max_per_group <= 0) return TopK(fused, request.k, banned);
  const bool all = items.empty();
  // Over-fetch so the cap rarely needs a second, full pass.
  for (int fetch = request.k * 4;; fetch = static_cast<int>(fused.size())) {
    const std::vector<int32_t> order = TopK(fused, fetch, banned);
    std::vector<int32_t> picked;
    absl::flat_hash_map<int32_t, int> per_group;
    for (int32_t pos : order) {
      const int32_t item = all ? pos : items[static_cast<size_t>(pos)];
      if (++per_group[request.group_of(item)] > request.max_per_group) continue;
      picked.push_back(pos);
      if (static_cast<int>(picked.size()) == request.k) break;
    }
    if (static_cast<int>(picked.size()) == request.k || fetch >= static_cast<int>(fused.size())) return picked;
  }
}

std::atomic<uint64_t> next_pipeline_id{1};

// The items `request` leaves out whatever its rules: `extra` (its own
// exclusions, or none), and the history when it excludes history.
absl::flat_hash_set<int32_t> ExcludedItems(const RankRequest& request, std::span<const int32_t> extra) {
  absl::flat_hash_set<int32_t> excluded(extra.begin(), extra.end());
  if (request.exclude_history) {
    for (const Event& e : request.history.events) excluded.insert(e.item);
  }
  return excluded;
}

}  // namespace

bool RankingPipeline::AnyOk(const std::vector<ModelRun>& runs) {
  return std::any_of(runs.begin(), runs.end(),
                     [](const ModelRun& r) { return r.outcome.kind == ScorerOutcome::kOk; });
}

std::vector<int32_t> RankingPipeline::UnionOfNominations(const std::vector<ModelRun>& runs) const {
  std::vector<int32_t> items;
  for (const ModelRun& r : runs) {
    if (r.outcome.kind == ScorerOutcome::kOk) items.insert(items.end(), r.retrieved.begin(), r.retrieved.end());
  }
  // Items added to the catalog since training are in no retrieval index:
  // every request scores them (their number is bounded by config).
  for (int32_t item = bundle_->trained_items(); item < bundle_->num_items(); ++item) items.push_back(item);
  std::sort(items.begin(), items.end());
  items.erase(std::unique(items.begin(), items.end()), items.end());
  return items;
}

RankingPipeline::RankingPipeline(std::shared_ptr<const ModelBundle> bundle, FusionConfig fusion,
                                 std::shared_ptr<const CandidateStage> candidates, CandidateSearchOptions search)
    : bundle_(std::move(bundle)),
      fusion_(std::move(fusion)),
      candidates_(std::move(candidates)),
      search_(search),
      id_(next_pipeline_id.fetch_add(1, std::memory_order_relaxed)) {}

std::vector<std::shared_ptr<const UserState>> RankingPipeline::EncodeAll(const UserHistory& history) const {
  std::vector<std::shared_ptr<const UserState>> states;
  for (const auto& scorer : bundle_->scorers()) states.push_back(scorer->Encode(history));
  return states;
}

std::vector<RankingPipeline::ModelRun> RankingPipeline::WeightedRuns(
    const std::map<std::string, double>& weights,
    std::span<const std::shared_ptr<const UserState>> states) const {
  std::vector<ModelRun> runs;
  for (size_t i = 0; i < bundle_->scorers().size(); ++i) {
    auto w = weights.find(std::string(bundle_->scorers()[i]->name()));
    if (w == weights.end() || w->second <= 0) continue;  // unweighted models cost nothing
    ModelRun run;
    run.index = i;
    if (i < states.size()) run.state = states[i];
    runs.push_back(std::move(run));
  }
  return runs;
}

void RankingPipeline::RunModels(std::vector<ModelRun>& runs, const UserHistory& history, size_t behind,
                                std::span<const int32_t> items, int retrieve,
                                const ScoringOptions& options) const {
  auto scorer_of = [&](const ModelRun& r) -> const Scorer& { return *bundle_->scorers()[r.index]; };
  auto source_of = [&](const ModelRun& r) -> const CandidateSource* {
    return retrieve > 0 ? &candidates_->source(r.index) : nullptr;
  };
  const int ef = std::max(search_.ann_ef_search, 0);  // 0: the index's default
  auto budget_of = [&](const ModelRun& r) {
    return options.budget ? options.budget(scorer_of(r).name()) : absl::InfiniteDuration();
  };
  auto mark_late = [&](ModelRun& r) {
    if (r.outcome.kind == ScorerOutcome::kOk && r.outcome.latency > budget_of(r)) {
      r.outcome.kind = ScorerOutcome::kTimedOut;
    }
  };
  if (options.pool == nullptr) {
    for (ModelRun& r : runs) {
      RunModel(scorer_of(r), history, items, source_of(r), retrieve, ef, behind, r.state, r.retrieved, r.raw,
               r.outcome);
      mark_late(r);
    }
    return;
  }

  auto job = std::make_shared<ScoringJob>();
  job->events.assign(history.events.begin(), history.events.end());
  job->items.assign(items.begin(), items.end());
  job->deadline = options.deadline;
  job->skipped_tasks = options.skipped_tasks;
  job->claimed = std::make_unique<std::atomic<bool>[]>(runs.size());
  {
    absl::MutexLock lock(&job->mu);
    job->remaining = static_cast<int>(runs.size());
    job->done.assign(runs.size(), false);
    job->states.resize(runs.size());
    job->retrieved.resize(runs.size());
    job->raw.resize(runs.size());
    job->outcomes.resize(runs.size());
  }
  // The tasks hold the bundle and the candidate stage through `keep_alive`.
  auto keep_alive = std::make_pair(bundle_, candidates_);
  const absl::Time start = absl::Now();
  for (size_t i = 0; i < runs.size(); ++i) {
    options.pool->Submit([job, keep_alive, i, user = history.user, scorer = &scorer_of(runs[i]),
                          source = source_of(runs[i]), state = runs[i].state, retrieve, ef, behind]() mutable {
      if (job->claimed[i].exchange(true, std::memory_order_acq_rel)) return;  // the request ran it
      if (job->abandoned.load(std::memory_order_acquire) || absl::Now() >= job->deadline) {
        // Its request has answered or its caller has gone: the work would
        // be thrown away, and under overload it is what keeps others late.
        if (job->skipped_tasks != nullptr) job->skipped_tasks->fetch_add(1, std::memory_order_relaxed);
        absl::MutexLock lock(&job->mu);
        --job->remaining;
        return;
      }
      RunAndRecord(*job, i, *scorer, user, source, retrieve, ef, behind, std::move(state));
    });
  }
  // A model whose state is given has only its nomination or scoring left:
  // bounded work, which the request's thread does itself when no pool
  // thread has taken it yet. Under load that saves the request a wait in
  // the pool's queue and the pool a task; when idle, the pool still runs
  // the others in parallel.
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i].state == nullptr || behind > 0 || absl::Now() >= job->deadline) continue;
    if (job->claimed[i].exchange(true, std::memory_order_acq_rel)) continue;
    RunAndRecord(*job, i, scorer_of(runs[i]), history.user, source_of(runs[i]), retrieve, ef, 0, runs[i].state);
  }
  // Wait until every model is done, or until each one still running is past
  // its own budget (a fast model with a long budget must not keep the
  // request waiting for a slow one past the slow one's budget), never past
  // the caller's deadline.
  absl::MutexLock lock(&job->mu);
  for (;;) {
    const int remaining = job->remaining;
    if (remaining == 0) break;
    absl::Time until = start;
    for (size_t i = 0; i < runs.size(); ++i) {
      if (!job->done[i]) until = std::max(until, start + budget_of(runs[i]));
    }
    until = std::min(until, options.deadline);
    if (absl::Now() >= until) break;
    std::pair<int*, int> changed{&job->remaining, remaining};
    job->mu.AwaitWithDeadline(
        absl::Condition(+[](std::pair<int*, int>* c) { return *c->first != c->second; }, &changed), until);
  }
  job->abandoned.store(true, std::memory_order_release);
  for (size_t i = 0; i < runs.size(); ++i) {
    ModelRun& r = runs[i];
    if (!job->done[i]) {
      r.outcome.model = std::string(scorer_of(r).name());
      r.outcome.kind = ScorerOutcome::kTimedOut;
      r.outcome.latency = absl::Now() - start;
      continue;
    }
    r.state = std::move(job->states[i]);
    r.retrieved = std::move(job->retrieved[i]);
    r.raw = std::move(job->raw[i]);
    r.outcome = std::move(job->outcomes[i]);
    mark_late(r);
  }
}

void RankingPipeline::ScoreFromStates(std::vector<ModelRun>& runs, std::span<const int32_t> items,
                                      absl::Time deadline) const {
  for (ModelRun& r : runs) {
    if (r.outcome.kind != ScorerOutcome::kOk) continue;
    const Scorer& scorer = *bundle_->scorers()[r.index];
    const absl::Time start = absl::Now();
    if (start >= deadline) {
      r.outcome.kind = ScorerOutcome::kTimedOut;
      continue;
    }
    try {
      ScoreItems(scorer, *r.state, items, r.raw);
    } catch (const std::exception& e) {
      r.outcome.kind = ScorerOutcome::kFailed;
      r.outcome.error = e.what();
    }
    r.outcome.latency += absl::Now() - start;
  }
}

void RankingPipeline::Blend(std::vector<ModelRun>& runs, const std::map<std::string, double>& weights,
                            std::span<const int32_t> items, std::vector<float>& fused,
                            std::vector<ModelScores>& per_model) const {
  per_model.clear();
  // zscore on each model's moments over the catalog: the same scale whether
  // the request ranks candidates, a widened set or the whole catalog.
  const bool catalog_scale =
      fusion_.method != FusionMethod::kReciprocalRank && fusion_.normalization == Normalization::kZScore;
  for (ModelRun& r : runs) {
    if (r.outcome.kind != ScorerOutcome::kOk) continue;
    ModelScores scores;
    scores.model = r.outcome.model;
    scores.raw = std::move(r.raw);
    if (catalog_scale) scores.catalog = bundle_->scorers()[r.index]->CatalogMoments(*r.state);
    per_model.push_back(std::move(scores));
  }
  fused.assign(items.empty() ? static_cast<size_t>(bundle_->num_items()) : items.size(), 0.0f);
  FusionLayer::Blend(fusion_, weights, per_model, fused);
}

void RankingPipeline::FusedScores(const UserHistory& history, std::span<const int32_t> candidates,
                                  std::vector<float>& fused, std::vector<ModelScores>& per_model,
                                  const ScoringOptions& options,
                                  std::vector<ScorerOutcome>* outcomes) const {
  const auto& weights = fusion_.WeightsFor(static_cast<int64_t>(history.events.size()));
  std::vector<ModelRun> runs = WeightedRuns(weights, {});
  RunModels(runs, history, 0, candidates, 0, options);
  for (const ModelRun& r : runs) {
    if (outcomes != nullptr) outcomes->push_back(r.outcome);
  }
  Blend(runs, weights, candidates, fused, per_model);
}

RankingResult RankingPipeline::FuseAndSelect(const RankRequest& request, std::vector<ModelRun>& runs,
                                             const std::map<std::string, double>& weights,
                                             std::span<const int32_t> items, std::shared_ptr<const FusedTopList>* top,
                                             int depth) const {
  std::vector<float> fused;
  std::vector<ModelScores> per_model;
  Blend(runs, weights, items, fused, per_model);
  const bool all_in = std::all_of(runs.begin(), runs.end(),
                                  [](const ModelRun& r) { return r.outcome.kind == ScorerOutcome::kOk; });
  // A list missing a model would keep serving a degraded answer as a full one.
  if (top != nullptr && request.keep_top > 0 && all_in) *top = KeepTop(request, items, fused, per_model, depth);
  return Select(request, items, fused, per_model);
}

int RankingPipeline::NominationDepth(const RankRequest& request) const {
  // Each model nominates enough items to fill k after its exclusions.
  const size_t excluded = request.exclude.size() + (request.exclude_history ? request.history.events.size() : 0);
  return static_cast<int>(
      std::min<size_t>(std::max<size_t>(static_cast<size_t>(std::max(search_.per_source, 1)),
                                        static_cast<size_t>(std::max(request.k, 0)) + excluded),
                       static_cast<size_t>(bundle_->num_items())));
}

std::shared_ptr<const FusedTopList> RankingPipeline::KeepTop(const RankRequest& request,
                                                             std::span<const int32_t> items,
                                                             std::span<const float> fused,
                                                             const std::vector<ModelScores>& per_model,
                                                             int depth) const {
  const bool all = items.empty();
  const absl::flat_hash_set<int32_t> history = ExcludedItems(request, {});
  std::vector<bool> banned(fused.size(), false);
  for (size_t i = 0; i < banned.size(); ++i) banned[i] = history.contains(all ? static_cast<int32_t>(i) : items[i]);
  auto top = std::make_shared<FusedTopList>();
  top->pipeline_id = id_;
  top->live_generation = request.live_generation;
  top->depth = depth;
  top->exclude_history = request.exclude_history;
  const std::vector<int32_t> order = TopK(fused, request.keep_top, banned);
  top->truncated = static_cast<int>(order.size()) == request.keep_top &&
                   static_cast<size_t>(std::count(banned.begin(), banned.end(), false)) > order.size();
  top->per_model.resize(per_model.size());
  for (size_t m = 0; m < per_model.size(); ++m) {
    top->per_model[m].model = per_model[m].model;
    top->per_model[m].weight = per_model[m].weight;
  }
  for (int32_t pos : order) {
    const auto p = static_cast<size_t>(pos);
    top->items.push_back(all ? pos : items[p]);
    top->scores.push_back(fused[p]);
    for (size_t m = 0; m < per_model.size(); ++m) {
      top->per_model[m].raw.push_back(per_model[m].raw[p]);
      top->per_model[m].normalized.push_back(per_model[m].normalized[p]);
    }
  }
  return top;
}

std::optional<RankingResult> RankingPipeline::SelectFromTop(const RankRequest& request,
                                                            const FusedTopList& top) const {
  const bool retrieving = request.candidates.empty() && retrieves();
  if (top.pipeline_id != id_ || top.live_generation < request.min_live_generation ||
      top.exclude_history != request.exclude_history || request.states_behind > 0 ||
      !request.profile.empty() ||
      (!retrieving && !request.candidates.empty()) || top.depth != (retrieving ? NominationDepth(request) : 0)) {
    return std::nullopt;
  }
  // The list is the fused order with the history left out, so Select over
  // it picks what Select over the full order would, as far as it reaches.
  RankingResult result = Select(request, top.items, top.scores, top.per_model);
  // Short: the items past the list might have filled k, or rules would
  // widen the candidates; only the full pipeline knows.
  if (static_cast<int>(result.items.size()) < request.k && (top.truncated || request.allowed ||
                                                              request.max_per_group > 0)) {
    return std::nullopt;
  }
  return result;
}

const std::map<std::string, double>& RankingPipeline::WeightsOf(const RankRequest& request) const {
  if (request.profile.empty()) return fusion_.WeightsFor(static_cast<int64_t>(request.history.events.size()));
  static const auto* const kNone = new std::map<std::string, double>();
  const std::map<std::string, double>* profile = fusion_.Profile(request.profile);
  return profile != nullptr ? *profile : *kNone;
}

RankingResult RankingPipeline::Rank(const RankRequest& request, const ScoringOptions& options) const {
  const auto& weights = WeightsOf(request);
  std::vector<ModelRun> runs = WeightedRuns(weights, request.states);
  RankingResult result;
  std::shared_ptr<const FusedTopList> top;
  if (request.candidates.empty() && retrieves()) {
    const int depth = NominationDepth(request);
    RunModels(runs, request.history, request.states_behind, {}, depth, options);
    if (AnyOk(runs)) {
      const std::vector<int32_t> items = UnionOfNominations(runs);
      ScoreFromStates(runs, items, options.deadline);
      result = FuseAndSelect(request, runs, weights, items, request.profile.empty() ? &top : nullptr, depth);
      const bool rules = request.allowed || request.max_per_group > 0;
      if (rules && static_cast<int>(result.items.size()) < request.k && AnyOk(runs)) {
        result = Widen(request, runs, weights, depth, std::move(result), options);
      }
    }
  } else {
    // On the catalog's scale: score it all; Select keeps the candidates.
    const bool scan = !request.candidates.empty() && request.catalog_scale && !retrieves();
    const std::span<const int32_t> scored = scan ? std::span<const int32_t>() : request.candidates;
    RunModels(runs, request.history, request.states_behind, scored, 0, options);
    // A caller's own candidate list is not a history's top: keep none; nor
    // is a profile's blend.
    const bool keep = request.candidates.empty() && request.profile.empty();
    if (AnyOk(runs)) result = FuseAndSelect(request, runs, weights, scored, keep ? &top : nullptr, 0);
  }
  // An empty item list means "the whole catalog" to the fusion: without a
  // model in, that would rank unscored items. Answer from popularity instead.
  if (!AnyOk(runs)) result = Fallback(request, runs, options.deadline);
  result.top = std::move(top);
  result.states.resize(bundle_->scorers().size());
  for (ModelRun& r : runs) {
    if (r.outcome.kind != ScorerOutcome::kOk) {
      result.degraded.push_back(r.outcome.model);
    } else {
      result.states[r.index] = std::move(r.state);
    }
    result.outcomes.push_back(std::move(r.outcome));
  }
  return result;
}

RankingResult RankingPipeline::Widen(const RankRequest& request, std::vector<ModelRun>& runs,
                                     const std::map<std::string, double>& weights, int depth,
                                     RankingResult short_result, const ScoringOptions& options) const {
  const int num_items = bundle_->num_items();
  // Deeper nominations from the states already encoded: 4x, then 16x.
  const int base = depth;
  for (int factor : {4, 16}) {
    if (depth >= num_items || absl::Now() >= options.deadline) break;
    depth = static_cast<int>(std::min<int64_t>(num_items, static_cast<int64_t>(base) * factor));
    for (ModelRun& r : runs) {
      if (r.outcome.kind != ScorerOutcome::kOk) continue;
      r.retrieved.clear();
      try {
        candidates_->source(r.index).Retrieve(*r.state, depth, std::max(search_.ann_ef_search, 0), r.retrieved);
      } catch (const std::exception& e) {
        r.outcome.kind = ScorerOutcome::kFailed;
        r.outcome.error = e.what();
      }
    }
    if (!AnyOk(runs)) return short_result;
    const std::vector<int32_t> items = UnionOfNominations(runs);
    ScoreFromStates(runs, items, options.deadline);
    if (!AnyOk(runs)) return short_result;
    RankingResult wider = FuseAndSelect(request, runs, weights, items);
    if (static_cast<int>(wider.items.size()) >= request.k) return wider;
    short_result = std::move(wider);
  }
  // Still short: the rule is narrow (a small category, few items in stock).
  // Score the allowed items themselves, up to a bound.
  if (!request.allowed || absl::Now() >= options.deadline) return short_result;
  std::vector<int32_t> allowed;
  for (int32_t item = 0; item < num_items && static_cast<int>(allowed.size()) < request.max_rule_scan_items; ++item) {
    if (request.allowed(item)) allowed.push_back(item);
  }
  if (allowed.empty()) return short_result;
  ScoreFromStates(runs, allowed, options.deadline);
  if (!AnyOk(runs)) return short_result;
  return FuseAndSelect(request, runs, weights, allowed);
}

RankingResult RankingPipeline::Fallback(const RankRequest& request, const std::vector<ModelRun>& runs,
                                        absl::Time deadline) const {
  RankingResult result;
  result.fallback = true;
  std::optional<size_t> pop;
  for (size_t i = 0; i < bundle_->scorers().size(); ++i) {
    if (bundle_->scorers()[i]->name() == "pop") pop = i;
  }
  if (!pop) return result;
  for (const ModelRun& r : runs) {
    // Weighted and broken: no fallback. Weighted and late (queued behind
    // slower work): popularity costs a copy of its scores, so run it here.
    if (r.index == *pop && r.outcome.kind == ScorerOutcome::kFailed) return result;
  }
  if (absl::Now() >= deadline) return result;
  const Scorer& scorer = *bundle_->scorers()[*pop];
  std::vector<ModelScores> per_model(1);
  per_model[0].model = "pop";
  try {
    const std::unique_ptr<UserState> state = scorer.Encode(request.history);
    per_model[0].raw.resize(static_cast<size_t>(scorer.num_items()));
    scorer.ScoreAll(*state, per_model[0].raw);
  } catch (const std::exception&) {
    return result;
  }
  std::vector<float> fused(per_model[0].raw.size(), 0.0f);
  FusionLayer::Blend(fusion_, {{"pop", 1.0}}, per_model, fused);
  result = Select(request, {}, fused, per_model);
  result.fallback = true;
  return result;
}

RankingResult RankingPipeline::SelectTop(const RankRequest& request, std::span<const float> fused,
                                         const std::vector<ModelScores>& per_model) const {
  return Select(request, request.candidates, fused, per_model);
}

RankingResult RankingPipeline::Select(const RankRequest& request, std::span<const int32_t> items,
                                      std::span<const float> fused,
                                      const std::vector<ModelScores>& per_model) const {
  const bool all = items.empty();
  const absl::flat_hash_set<int32_t> excluded = ExcludedItems(request, request.exclude);
  // Scores of the whole catalog for a request with candidates (catalog
  // scale, or the popularity fallback): only the candidates may come back.
  std::vector<bool> outside;
  if (all && !request.candidates.empty()) {
    outside.assign(fused.size(), true);
    for (int32_t c : request.candidates) {
      if (c >= 0 && static_cast<size_t>(c) < outside.size()) outside[static_cast<size_t>(c)] = false;
    }
  }
  // One pass over the scored positions: excluded or not allowed -> banned.
  std::vector<bool> banned(fused.size(), false);
  for (size_t i = 0; i < banned.size(); ++i) {
    const int32_t item = all ? static_cast<int32_t>(i) : items[i];
    banned[i] = (!outside.empty() && outside[i]) || excluded.contains(item) ||
                (request.allowed && !request.allowed(item));
  }

  RankingResult result;
  for (const ModelScores& m : per_model) {
    result.models.push_back(m.model);
    result.weights.push_back(m.weight);
  }
  for (int32_t pos : SelectPositions(request, items, fused, banned)) {
    RankedItem r;
    r.item = all ? pos : items[static_cast<size_t>(pos)];
    r.score = fused[static_cast<size_t>(pos)];
    if (request.explain) {
      for (const ModelScores& m : per_model) {
        r.raw.push_back(m.raw[static_cast<size_t>(pos)]);
        r.normalized.push_back(m.normalized[static_cast<size_t>(pos)]);
      }
    }
    result.items.push_back(std::move(r));
  }
  return result;
}

std::vector<int32_t> TopK(std::span<const float> scores, int k, const std::vector<bool>& banned) {
  std::vector<int32_t> idx;
  idx.reserve(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!banned[i]) idx.push_back(static_cast<int32_t>(i));
  }
  const size_t kk = std::min(idx.size(), static_cast<size_t>(std::max(k, 0)));
  // Ties broken by item position so results are deterministic.
  auto better = [&](int32_t a, int32_t b) {
    return scores[a] > scores[b] || (scores[a] == scores[b] && a < b);
  };
  const auto top = idx.begin() + static_cast<std::ptrdiff_t>(kk);
  std::partial_sort(idx.begin(), top, idx.end(), better);
  // A list of k, not of the catalog: callers keep these (recd-eval one per
  // user and model, which at a million items was 24 MB per user).
  return std::vector<int32_t>(idx.begin(), top);
}

}  // namespace recd
