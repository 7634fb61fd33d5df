#ifndef RECD_SERVER_OFFLINE_REPLAY_H_
#define RECD_SERVER_OFFLINE_REPLAY_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "eval/replay_evaluator.h"

namespace recd {

// recd-eval --replay: the offline twin of recd-bench --replay. It builds
// what a daemon started on `config_path` would serve with, by the daemon's
// own code: its store seeded by SeedStoreIfEmpty (in memory, keeping
// store.history_length events per user), its serving state by
// ServingStateManager (the bundle of models.path, the catalog index, the
// candidate stage, the fusion and every experiment arm), then replays the
// log through EvaluateReplay. Only the clock is left out: no deadline or
// model budget can drop a model, and nothing is cached between asks.
struct OfflineReplayOptions {
  std::string config_path;  // required: the daemon's recd.yaml
  // The history before the log: default the config's store.seed_events and
  // store.seed_catalog (what the daemon was seeded with).
  std::string events_path;
  std::string catalog_path;
  int k = 10;  // items asked for before each event (recd-bench -k)
};

// Errors name the file or config field at fault.
absl::StatusOr<ReplayEvaluation> ReplayOffline(const std::vector<ReplayEvent>& log,
                                               const OfflineReplayOptions& options);

}  // namespace recd

#endif  // RECD_SERVER_OFFLINE_REPLAY_H_
