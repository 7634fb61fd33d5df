#include "server/offline_replay.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "recd/feature_store_factory.h"
#include "server/recd_server.h"
#include "server/serving_state.h"

namespace recd {
namespace {

// The arms the daemon's state serves with: its experiment's, or one
// unnamed arm on the served pipeline.
ReplaySetup SetupOf(const ServingState& state, int k) {
  ReplaySetup setup;
  if (state.experiments) {
    setup.salt = state.experiments->salt();
    for (const ExperimentArms::Arm& arm : state.experiments->arms()) {
      ReplayArm replay_arm{arm.name, arm.end_bucket, arm.pipeline, nullptr, nullptr};
      if (arm.state != nullptr) {
        replay_arm.bundle = arm.state->bundle;
        replay_arm.catalog = arm.state->catalog;
      }
      setup.arms.push_back(std::move(replay_arm));
    }
  } else {
    setup.arms.push_back({"", kExperimentBuckets, state.pipeline, nullptr, nullptr});
  }
  // As the request handler's context, and RulesFromProto with no filters.
  setup.context = RankingContextOf(state);
  setup.rules.exclude_purchased = state.config->exclude_purchased;
  setup.rules.diversity_max_per_category = state.config->diversity_max_per_category;
  setup.k = k;
  return setup;
}

}  // namespace

absl::StatusOr<ReplayEvaluation> ReplayOffline(const std::vector<ReplayEvent>& log,
                                               const OfflineReplayOptions& options) {
  absl::StatusOr<ServerConfig> config = ServerConfig::LoadFile(options.config_path);
  if (!config.ok()) return config.status();
  if (!options.events_path.empty()) config->seed_events = options.events_path;
  if (!options.catalog_path.empty()) config->seed_catalog = options.catalog_path;
  if (config->seed_events.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        options.config_path,
        ": store.seed_events is empty and no --events given: no history before the log"));
  }
  InMemoryStoreOptions store_options;
  store_options.max_history = config->history_length;
  const std::unique_ptr<FeatureStore> store = NewInMemoryFeatureStore(store_options);
  if (absl::Status s = SeedStoreIfEmpty(*config, *store); !s.ok()) return s;

  ServingStateManager::Options state_options;
  state_options.config_path = options.config_path;
  state_options.store = store.get();
  absl::StatusOr<std::unique_ptr<ServingStateManager>> states =
      ServingStateManager::Create(state_options);
  if (!states.ok()) return states.status();
  const std::shared_ptr<const ServingState> state = (*states)->Current();
  return EvaluateReplay(log, SetupOf(*state, options.k), *store);
}

}  // namespace recd
