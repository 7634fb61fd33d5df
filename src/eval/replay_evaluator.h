#ifndef RECD_EVAL_REPLAY_EVALUATOR_H_
#define RECD_EVAL_REPLAY_EVALUATOR_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "data/replay_log.h"
#include "eval/replay_score.h"
#include "nlohmann/json.hpp"
#include "ranking/experiment_bucket.h"
#include "ranking/recommend.h"
#include "recd/feature_store.h"

namespace recd {

// One A/B arm of an offline replay: the users whose ExperimentBucket falls
// in [the previous arm's end_bucket, end_bucket), ranked by `pipeline`.
struct ReplayArm {
  std::string name;  // "" when the daemon runs no experiment
  int end_bucket = kExperimentBuckets;
  std::shared_ptr<const RankingPipeline> pipeline;
  // An arm on a bundle version of its own ranks on that bundle and its
  // catalog facts; null = the setup's context's.
  std::shared_ptr<const ModelBundle> bundle;
  std::shared_ptr<const CatalogIndex> catalog;
};

// What the offline replay ranks with: the daemon's ranking context and rule
// defaults, as its config makes them.
struct ReplaySetup {
  std::vector<ReplayArm> arms;  // non-empty; the last ends at kExperimentBuckets
  std::string salt;             // experiments.salt; unused with one arm
  // Bundle, catalog and rule defaults (exclude_seen, max_rule_scan_items);
  // its pipeline is replaced by the user's arm's. result_cache_items is
  // ignored: nothing is cached offline.
  RankingContext context;
  RuleSpec rules;  // as RecommendItems without filters: exclude_purchased, diversity cap
  int k = 10;      // items asked for before each event (recd-bench -k)
};

// What an offline replay measured, per arm and over all.
struct ReplayEvaluation {
  std::map<std::string, ReplayScore> arms;
  ReplayScore all;
  std::vector<ReplayOutcome> outcomes;  // one per event of the log, in log order

  nlohmann::json ToJson(int k) const;
  std::string ToText(int k) const;
};

// The arm of `user`. REQUIRES: setup.arms as ReplaySetup documents.
const ReplayArm& ArmOfUser(const ReplaySetup& setup, std::string_view user);

// Replays `log` (time order) through the daemon's ranking code offline: for
// each event, ranks for its user exactly as RecommendItems would
// (RecommendForUser on the history `store` holds, no session items, every
// model run to the end: no deadline, no budgets), scores the answer against
// the event's item, then appends the event to `store`, so the user's next
// ask sees it. `store` holds the history before the log (the daemon's
// seeded store) and trims each user's history as the daemon's does. Users
// are replayed in parallel, each user's events in order: the answers are
// the same as a serial run's. An ask the daemon would refuse (no model
// could rank) counts as unanswered, as recd-bench counts a failed call.
// Errors: the store's, naming the user.
absl::StatusOr<ReplayEvaluation> EvaluateReplay(const std::vector<ReplayEvent>& log,
                                                const ReplaySetup& setup, FeatureStore& store);

}  // namespace recd

#endif  // RECD_EVAL_REPLAY_EVALUATOR_H_
