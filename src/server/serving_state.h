#ifndef RECD_SERVER_SERVING_STATE_H_
#define RECD_SERVER_SERVING_STATE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "ranking/item_similarity.h"
#include "ranking/recommend.h"
#include "ranking/ranking_pipeline.h"
#include "retrieval/candidate_stage.h"
#include "recd/feature_store.h"
#include "recd/model_bundle.h"
#include "ranking/catalog_index.h"
#include "server/experiments.h"
#include "server/server_config.h"
#include "server/token_authenticator.h"

namespace recd {

struct ServingState;

// A candidate ranking the config's `shadow:` section runs beside the live
// one: a fraction of RecommendItems requests is ranked by it too, off the
// request path, and compared with the live answers. Immutable.
struct ShadowTarget {
  std::string name;
  double fraction = 0;
  int64_t max_queue = 0;
  int64_t bundle_version = 0;  // the version directory's number it ranks with
  bool own_bundle = false;     // another bundle than the live one
  // Its bundle, pipeline, catalog facts and retrieval indexes (the live
  // state's where they are the same); no experiments, no shadow.
  std::shared_ptr<const ServingState> state;
};

// Everything one request needs, as one immutable snapshot: a request takes it
// at its start and keeps using it even if a reload swaps in a new one; the
// old models are freed when the last request holding them finishes.
struct ServingState {
  std::shared_ptr<const ServerConfig> config;
  // The bundle as trained, and as served: with the catalog's items added
  // since (models/new_items_scorer.h) and the live overlay, when on.
  std::shared_ptr<const ModelBundle> trained;
  std::shared_ptr<const ModelBundle> bundle;
  std::shared_ptr<const RankingPipeline> pipeline;  // bundle + effective fusion
  std::shared_ptr<const ExperimentArms> experiments; // null = no experiment: `pipeline` for all
  std::shared_ptr<const CatalogIndex> catalog;      // indexed by bundle item ids
  std::shared_ptr<const CandidateStage> candidates; // the bundle's retrieval indexes
  std::shared_ptr<const ItemSimilarity> similarity; // for explanations; may be null
  std::string bundle_fingerprint;                   // BundleRootStamp: detects a new version
  int64_t bundle_version = 0;                       // the number of the version directory served
  std::shared_ptr<const ShadowTarget> shadow;       // null = none
  // The live item statistics overlaid on `bundle` (config live.enabled),
  // made with the bundle and kept while it serves; null = none.
  std::shared_ptr<LiveItemStats> live;
  // A shadow the admin made live (PromoteShadow) or stopped (DropShadow),
  // in memory until the config's shadow section names another or recd
  // restarts; "" = none.
  std::string promoted_shadow;
  std::string dropped_shadow;
  // server.auth.tokens_file, read again on every reload (a bad file rejects
  // the reload and the running table stays); null = no authentication.
  std::shared_ptr<const TokenAuthenticator> auth;
};

// One bundle the event stream feeds: its live item statistics and its items.
struct LiveFeed {
  LiveItemStats* stats = nullptr;
  const ModelBundle* bundle = nullptr;
};
// Every distinct live overlay `state` serves with: the live bundle's, the
// experiment arms' and the shadow's own bundles'. Empty without live.
std::vector<LiveFeed> LiveFeedsOf(const ServingState& state);

// What `user_id` is ranked with in the live state `live`: the user's
// experiment arm (null without experiments), and the state of the arm's own
// bundle version when it has one, else `live`.
struct UserServing {
  const ServingState* state = nullptr;
  const ExperimentArms::Arm* arm = nullptr;
};
UserServing ServingForUser(const ServingState& live, std::string_view user_id);

// Each model's time budget per request as `config` sets it
// (models.budget_ms, budget_overrides_ms), for ScoringOptions::budget.
std::function<absl::Duration(std::string_view model)> ModelBudgetsOf(std::shared_ptr<const ServerConfig> config);

// What a request ranks with from `state`: its bundle, pipeline, catalog
// facts and rule defaults (the pipeline of the user's arm is the caller's
// to choose).
RankingContext RankingContextOf(const ServingState& state);

// Owns the current ServingState and replaces it on reload: parse the config,
// validate it, load a changed model bundle beside the old one, then swap.
// Anything invalid is rejected with the reason and the running state kept.
// Thread-safe.
class ServingStateManager {
 public:
  struct Options {
    std::string config_path;         // required
    FeatureStore* store = nullptr;   // required; catalog facts for the rules
    // How often the watcher looks for a changed config file or bundle.
    absl::Duration watch_interval = absl::Seconds(1);
    // Called on the reload thread with a state whose bundle is new, before
    // it takes traffic (to warm caches for it); the closure it returns runs
    // right after the swap. Optional.
    std::function<std::function<void()>(const std::shared_ptr<const ServingState>& next)> before_swap;
  };

  static absl::StatusOr<std::unique_ptr<ServingStateManager>> Create(const Options& options);
  ~ServingStateManager();

  std::shared_ptr<const ServingState> Current() const;

  // Re-reads the config file and the bundle it names. Returns why a bad
  // config or bundle was rejected; the current state then stays. Changes
  // to start-only keys (listen, threads, store, cache sizes) are rejected,
  // naming the key.
  absl::Status Reload();

  // Reloads on the manager's own thread and calls `done` there with the
  // outcome. Calls made while a reload is waiting share it; a call made
  // during a reload gets the next one, so every caller sees a reload that
  // read the files after it asked. At shutdown, waiting callers get
  // UNAVAILABLE.
  void ReloadAsync(std::function<void(absl::Status)> done);

  // Makes the running shadow `name` the live ranking (its bundle version and
  // fusion profile; promote) or stops it (drop), as a reload that `done`
  // hears the outcome of. Lasts until the config's shadow section names
  // another shadow or recd restarts: write it into the config to keep it.
  // FailedPrecondition when no shadow of that name runs.
  void DecideShadowAsync(const std::string& name, bool promote, std::function<void(absl::Status)> done);

  // Also reload when the config file or the bundle changes on disk.
  void StartWatching() { watching_.store(true); }
  // Async-signal-safe: only sets a flag for the reload thread.
  void RequestReload() { reload_requested_.store(true); }

  int64_t reloads() const { return reloads_.load(); }
  int64_t rejected_reloads() const { return rejected_.load(); }

 private:
  explicit ServingStateManager(Options options) : options_(std::move(options)) {}
  // Builds a state from the config file, reusing `current`'s bundle when the
  // bundle on disk has not changed. Catches what loading throws.
  absl::StatusOr<std::shared_ptr<const ServingState>> Build(const ServingState* current) const;
  absl::StatusOr<std::shared_ptr<const ServingState>> BuildUnchecked(const ServingState* current) const;
  // An admin's decision on a shadow (DecideShadowAsync), applied by every
  // build while the config's shadow has that name.
  struct ShadowDecision {
    std::string name;
    bool promote = false;
    FusionConfig fusion;          // promote: the shadow's profile
    int64_t bundle_version = 0;   // promote: its version, 0 = the live one's
  };
  // The config as served: `loaded` with the admin's shadow decision applied.
  ServerConfig ApplyShadowDecision(ServerConfig loaded, ServingState& state) const;
  // Loads the bundle version `number` (0 = newest) of the state's
  // models.path with its catalog facts and indexes, reusing the parts of
  // any of `reusable` (null entries allowed) that holds the same bundle;
  // up to `load_threads` model files and indexes read at once.
  absl::Status LoadBundleParts(ServingState& state, int64_t number,
                               const std::vector<const ServingState*>& reusable, int load_threads = 1) const;
  // A state of the live config on bundle version `bundle_version` (as an
  // arm's or the shadow's bundle_version field: 0 = the live one), reusing
  // what `live` or `reusable` has loaded. Its pipeline is the caller's.
  absl::StatusOr<std::shared_ptr<const ServingState>> BuildCandidateState(
      const ServingState& live, int64_t bundle_version, const std::vector<const ServingState*>& reusable) const;
  absl::StatusOr<std::shared_ptr<const ExperimentArms>> BuildExperimentArms(const ExperimentConfig& config,
                                                                           const ServingState& live,
                                                                           const ServingState* current) const;
  absl::StatusOr<std::shared_ptr<const ShadowTarget>> BuildShadow(const ServingState& live,
                                                                   const ServingState* current) const;
  // The reload thread: serves ReloadAsync callers, SIGHUP and file changes.
  void ReloadLoop();
  // Frees the retired states no request holds any more.
  void FreeRetired();

  const Options options_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ServingState> state_ ABSL_GUARDED_BY(mu_);
  // States swapped out, kept until no request holds them so that they are
  // freed here, on the reload thread: unmapping a large bundle takes long
  // enough to stall the request thread that would otherwise drop it last.
  std::vector<std::shared_ptr<const ServingState>> retired_ ABSL_GUARDED_BY(reload_mu_);
  absl::Mutex reload_mu_;  // one reload at a time
  std::atomic<bool> reload_requested_{false};
  std::atomic<bool> watching_{false};
  absl::Mutex waiters_mu_;
  std::vector<std::function<void(absl::Status)>> waiters_ ABSL_GUARDED_BY(waiters_mu_);
  mutable absl::Mutex decision_mu_;
  mutable std::optional<ShadowDecision> decision_ ABSL_GUARDED_BY(decision_mu_);
  std::atomic<int64_t> reloads_{0};
  std::atomic<int64_t> rejected_{0};
  absl::Notification stop_;
  std::thread reloader_;
};


}  // namespace recd

#endif  // RECD_SERVER_SERVING_STATE_H_
