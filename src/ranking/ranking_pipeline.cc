#include "ranking/ranking_pipeline.h"

#include <algorithm>
#include <exception>
#include <numeric>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"

namespace recd {
namespace {

// Runs one scorer; exceptions (bad_alloc, a broken model) become a failure
// of this model for this request instead of a crash.
ScorerOutcome ScoreOne(const Scorer& scorer, const UserHistory& history,
                       std::span<const int32_t> candidates, std::vector<float>& raw) {
  ScorerOutcome outcome;
  outcome.model = std::string(scorer.name());
  const absl::Time start = absl::Now();
  try {
    raw.resize(candidates.empty() ? static_cast<size_t>(scorer.num_items()) : candidates.size());
    auto state = scorer.Encode(history);
    if (candidates.empty()) {
      scorer.ScoreAll(*state, raw);
    } else {
      scorer.ScoreCandidates(*state, candidates, raw);
    }
  } catch (const std::exception& e) {
    outcome.kind = ScorerOutcome::kFailed;
    outcome.error = e.what();
  }
  outcome.latency = absl::Now() - start;
  return outcome;
}

// State shared by a request and its scorer tasks. Tasks own copies of their
// inputs: a task that overruns its budget finishes after the request has
// answered, and must not touch the request's memory.
struct ScoringJob {
  std::vector<Event> events;
  int32_t user = -1;
  std::vector<int32_t> candidates;
  absl::Mutex mu;
  int remaining ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::vector<float>> raw ABSL_GUARDED_BY(mu);
  std::vector<ScorerOutcome> outcomes ABSL_GUARDED_BY(mu);
  std::vector<bool> done ABSL_GUARDED_BY(mu);
};

// Positions of the answer, best first: the top k of the allowed items, with
// at most max_per_group per group when a diversity cap is set.
std::vector<int32_t> SelectPositions(const RankRequest& request, std::span<const float> fused,
                                     const std::vector<bool>& banned) {
  if (request.max_per_group <= 0) return TopK(fused, request.k, banned);
  const bool all = request.candidates.empty();
  // Over-fetch so the cap rarely needs a second, full pass.
  for (int fetch = request.k * 4;; fetch = static_cast<int>(fused.size())) {
    const std::vector<int32_t> order = TopK(fused, fetch, banned);
    std::vector<int32_t> picked;
    absl::flat_hash_map<int32_t, int> per_group;
    for (int32_t pos : order) {
      const int32_t item = all ? pos : request.candidates[static_cast<size_t>(pos)];
      if (++per_group[request.group_of(item)] > request.max_per_group) continue;
      picked.push_back(pos);
      if (static_cast<int>(picked.size()) == request.k) break;
    }
    if (static_cast<int>(picked.size()) == request.k || fetch >= static_cast<int>(fused.size())) return picked;
  }
}

}  // namespace

RankingPipeline::RankingPipeline(std::shared_ptr<const ModelBundle> bundle, FusionConfig fusion)
    : bundle_(std::move(bundle)), fusion_(std::move(fusion)) {}

void RankingPipeline::RunScorers(const std::vector<const Scorer*>& scorers, const UserHistory& history,
                                 std::span<const int32_t> candidates, const ScoringOptions& options,
                                 std::vector<ModelScores>& per_model,
                                 std::vector<ScorerOutcome>& outcomes) const {
  auto budget_of = [&](const Scorer& s) {
    return options.budget ? options.budget(s.name()) : absl::InfiniteDuration();
  };
  if (options.pool == nullptr) {
    for (const Scorer* s : scorers) {
      ModelScores m;
      m.model = std::string(s->name());
      ScorerOutcome o = ScoreOne(*s, history, candidates, m.raw);
      if (o.kind == ScorerOutcome::kOk && o.latency > budget_of(*s)) o.kind = ScorerOutcome::kTimedOut;
      if (o.kind == ScorerOutcome::kOk) per_model.push_back(std::move(m));
      outcomes.push_back(std::move(o));
    }
    return;
  }

  auto job = std::make_shared<ScoringJob>();
  job->events.assign(history.events.begin(), history.events.end());
  job->user = history.user;
  job->candidates.assign(candidates.begin(), candidates.end());
  {
    absl::MutexLock lock(&job->mu);
    job->remaining = static_cast<int>(scorers.size());
    job->raw.resize(scorers.size());
    job->outcomes.resize(scorers.size());
    job->done.assign(scorers.size(), false);
  }
  // The bundle outlives the tasks: they hold it through `keep_alive`.
  auto keep_alive = bundle_;
  const absl::Time start = absl::Now();
  absl::Duration longest = absl::ZeroDuration();
  for (size_t i = 0; i < scorers.size(); ++i) {
    longest = std::max(longest, budget_of(*scorers[i]));
    options.pool->Submit([job, keep_alive, scorer = scorers[i], i] {
      std::vector<float> raw;
      ScorerOutcome o = ScoreOne(*scorer, UserHistory{job->events, job->user}, job->candidates, raw);
      absl::MutexLock lock(&job->mu);
      job->raw[i] = std::move(raw);
      job->outcomes[i] = std::move(o);
      job->done[i] = true;
      --job->remaining;
    });
  }
  const absl::Time wait_until = std::min(options.deadline, start + longest);
  absl::MutexLock lock(&job->mu);
  job->mu.AwaitWithDeadline(
      absl::Condition(+[](int* r) { return *r == 0; }, &job->remaining), wait_until);
  for (size_t i = 0; i < scorers.size(); ++i) {
    ScorerOutcome o;
    if (!job->done[i]) {
      o.model = std::string(scorers[i]->name());
      o.kind = ScorerOutcome::kTimedOut;
      o.latency = absl::Now() - start;
    } else {
      o = job->outcomes[i];
      if (o.kind == ScorerOutcome::kOk && o.latency > budget_of(*scorers[i])) o.kind = ScorerOutcome::kTimedOut;
      if (o.kind == ScorerOutcome::kOk) {
        ModelScores m;
        m.model = o.model;
        m.raw = std::move(job->raw[i]);
        per_model.push_back(std::move(m));
      }
    }
    outcomes.push_back(std::move(o));
  }
}

void RankingPipeline::FusedScores(const UserHistory& history, std::span<const int32_t> candidates,
                                  std::vector<float>& fused, std::vector<ModelScores>& per_model,
                                  const ScoringOptions& options,
                                  std::vector<ScorerOutcome>* outcomes) const {
  const auto& weights = fusion_.WeightsFor(static_cast<int64_t>(history.events.size()));
  std::vector<const Scorer*> weighted;
  for (const auto& scorer : bundle_->scorers()) {
    auto w = weights.find(std::string(scorer->name()));
    if (w != weights.end() && w->second > 0) weighted.push_back(scorer.get());  // others cost nothing
  }
  per_model.clear();
  std::vector<ScorerOutcome> local;
  RunScorers(weighted, history, candidates, options, per_model, outcomes ? *outcomes : local);
  const size_t n = candidates.empty() ? static_cast<size_t>(bundle_->num_items()) : candidates.size();
  fused.assign(n, 0.0f);
  FusionLayer::Blend(fusion_, weights, per_model, fused);
}

RankingResult RankingPipeline::Rank(const RankRequest& request, const ScoringOptions& options) const {
  std::vector<float> fused;
  std::vector<ModelScores> per_model;
  std::vector<ScorerOutcome> outcomes;
  FusedScores(request.history, request.candidates, fused, per_model, options, &outcomes);
  RankingResult result = SelectTop(request, fused, per_model);
  for (const ScorerOutcome& o : outcomes) {
    if (o.kind != ScorerOutcome::kOk) result.degraded.push_back(o.model);
  }
  result.outcomes = std::move(outcomes);
  return result;
}

RankingResult RankingPipeline::SelectTop(const RankRequest& request, std::span<const float> fused,
                                         const std::vector<ModelScores>& per_model) const {
  const bool all = request.candidates.empty();
  absl::flat_hash_set<int32_t> excluded(request.exclude.begin(), request.exclude.end());
  if (request.exclude_history) {
    for (const Event& e : request.history.events) excluded.insert(e.item);
  }
  // One pass over the scored positions: excluded or not allowed -> banned.
  std::vector<bool> banned(fused.size(), false);
  for (size_t i = 0; i < banned.size(); ++i) {
    const int32_t item = all ? static_cast<int32_t>(i) : request.candidates[i];
    banned[i] = excluded.contains(item) || (request.allowed && !request.allowed(item));
  }

  RankingResult result;
  for (const ModelScores& m : per_model) {
    result.models.push_back(m.model);
    result.weights.push_back(m.weight);
  }
  for (int32_t pos : SelectPositions(request, fused, banned)) {
    RankedItem r;
    r.item = all ? pos : request.candidates[static_cast<size_t>(pos)];
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
  std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(kk), idx.end(), better);
  idx.resize(kk);
  return idx;
}

}  // namespace recd
