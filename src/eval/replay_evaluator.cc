#include "eval/replay_evaluator.h"

#include <atomic>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"

namespace recd {
namespace {

// Indices into the log of each user's events, in log order: the unit of
// parallel work (a user's asks depend on their own earlier events only).
std::vector<std::vector<size_t>> EventsByUser(const std::vector<ReplayEvent>& log) {
  absl::flat_hash_map<std::string_view, size_t> slot;
  std::vector<std::vector<size_t>> users;
  for (size_t n = 0; n < log.size(); ++n) {
    auto [it, added] = slot.try_emplace(log[n].user, users.size());
    if (added) users.emplace_back();
    users[it->second].push_back(n);
  }
  return users;
}

// The event's item's place in the answer, compared by external id as
// recd-bench compares the answer's item ids.
std::optional<int> RankOf(const RankingResult& ranking, const IdMap& items,
                          const std::string& item) {
  const std::optional<int32_t> dense = items.Find(item);
  if (!dense) return std::nullopt;
  for (size_t i = 0; i < ranking.items.size(); ++i) {
    if (ranking.items[i].item == *dense) return static_cast<int>(i);
  }
  return std::nullopt;
}

// One event: ask, score, record. Errors name the user.
absl::Status ReplayEventOffline(const ReplayEvent& e, const ReplaySetup& setup, FeatureStore& store,
                                ReplayOutcome& outcome) {
  const ReplayArm& arm = ArmOfUser(setup, e.user);
  outcome.arm = arm.name;
  absl::StatusOr<StoredHistory> history = store.GetHistory(e.user);
  if (!history.ok()) {
    return absl::Status(history.status().code(), absl::StrCat("history of user '", e.user,
                                                              "': ", history.status().message()));
  }
  RankingContext context = setup.context;
  context.pipeline = arm.pipeline.get();
  if (arm.bundle != nullptr) {
    context.bundle = arm.bundle;
    context.catalog = arm.catalog;
  }
  context.result_cache_items = 0;
  RecommendQuery query;
  query.user_id = e.user;
  query.stored_history = history->events;
  query.k = setup.k;
  query.rules = setup.rules;
  // ScoringOptions{}: no deadline and no budgets, so no model is left out.
  absl::StatusOr<RecommendAnswer> answer =
      RecommendForUser(context, query, ScoringOptions{}, nullptr);
  // The daemon refuses an answer no model scored (CheckAnswered).
  outcome.answered = answer.ok() && answer->ranking.answered();
  if (outcome.answered)
    outcome.rank = RankOf(answer->ranking, context.bundle->items(), e.item);
  const StoredEvent recorded{e.item, e.type, e.timestamp};
  if (absl::Status s = store.AppendEvents(e.user, std::span<const StoredEvent>(&recorded, 1));
      !s.ok()) {
    return absl::Status(s.code(),
                        absl::StrCat("recording an event of user '", e.user, "': ", s.message()));
  }
  return absl::OkStatus();
}

std::string ArmLabel(const std::string& arm) { return arm.empty() ? "(no experiments)" : arm; }

nlohmann::json ScoreJson(const ReplayScore& s, int k) {
  return {{"asked", s.asked},
          {"hits", s.hits},
          {absl::StrCat("hr_at_", k), s.hit_rate()},
          {absl::StrCat("hr_at_", k, "_se"), s.hit_rate_se()},
          {absl::StrCat("ndcg_at_", k), s.ndcg()},
          {absl::StrCat("ndcg_at_", k, "_se"), s.ndcg_se()}};
}

std::string ScoreRow(const std::string& label, const ReplayScore& s) {
  return absl::StrFormat("  %-18s %8d %8d %8.4f %8.4f %8.4f %8.4f\n", label, s.asked, s.hits,
                         s.hit_rate(), s.hit_rate_se(), s.ndcg(), s.ndcg_se());
}

}  // namespace

const ReplayArm& ArmOfUser(const ReplaySetup& setup, std::string_view user) {
  if (setup.arms.size() == 1) return setup.arms.front();
  const int bucket = ExperimentBucket(setup.salt, user);
  for (const ReplayArm& arm : setup.arms) {
    if (bucket < arm.end_bucket) return arm;
  }
  return setup.arms.back();
}

absl::StatusOr<ReplayEvaluation> EvaluateReplay(const std::vector<ReplayEvent>& log,
                                                const ReplaySetup& setup, FeatureStore& store) {
  if (setup.arms.empty()) return absl::InvalidArgumentError("replay: no arm to rank with");
  ReplayEvaluation result;
  result.outcomes.resize(log.size());
  const std::vector<std::vector<size_t>> users = EventsByUser(log);
  absl::Mutex mu;
  absl::Status first_error;
  std::atomic<bool> failed{false};
#pragma omp parallel for schedule(dynamic, 8)
  for (size_t u = 0; u < users.size(); ++u) {
    for (const size_t n : users[u]) {
      if (failed.load(std::memory_order_relaxed)) break;
      if (absl::Status s = ReplayEventOffline(log[n], setup, store, result.outcomes[n]); !s.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = s;
        failed.store(true, std::memory_order_relaxed);
      }
    }
  }
  if (!first_error.ok()) return first_error;
  for (const ReplayOutcome& o : result.outcomes) {
    if (!o.answered) continue;
    result.arms[o.arm].Add(o.rank);
    result.all.Add(o.rank);
  }
  return result;
}

nlohmann::json ReplayEvaluation::ToJson(int k) const {
  nlohmann::json arms_json = nlohmann::json::object();
  for (const auto& [arm, s] : arms) arms_json[arm] = ScoreJson(s, k);
  int64_t unanswered = 0;
  for (const ReplayOutcome& o : outcomes) unanswered += o.answered ? 0 : 1;
  return {{"events", outcomes.size()},
          {"unanswered", unanswered},
          {"k", k},
          {"all", ScoreJson(all, k)},
          {"arms", arms_json}};
}

std::string ReplayEvaluation::ToText(int k) const {
  std::string s = absl::StrFormat("  %-18s %8s %8s %8s %8s %8s %8s\n", "arm", "asked", "hits",
                                  absl::StrCat("HR@", k), "+-SE", absl::StrCat("NDCG@", k), "+-SE");
  for (const auto& [arm, score] : arms) absl::StrAppend(&s, ScoreRow(ArmLabel(arm), score));
  if (arms.size() > 1) absl::StrAppend(&s, ScoreRow("all", all));
  return s;
}

}  // namespace recd
