#ifndef RECD_SERVER_SERVING_STATE_H_
#define RECD_SERVER_SERVING_STATE_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "ranking/item_similarity.h"
#include "ranking/ranking_pipeline.h"
#include "retrieval/candidate_stage.h"
#include "recd/feature_store.h"
#include "recd/model_bundle.h"
#include "server/catalog_index.h"
#include "server/server_config.h"

namespace recd {

// Everything one request needs, as one immutable snapshot: a request takes it
// at its start and keeps using it even if a reload swaps in a new one; the
// old models are freed when the last request holding them finishes.
struct ServingState {
  std::shared_ptr<const ServerConfig> config;
  std::shared_ptr<const ModelBundle> bundle;
  std::shared_ptr<const RankingPipeline> pipeline;  // bundle + effective fusion
  std::shared_ptr<const CatalogIndex> catalog;      // indexed by bundle item ids
  std::shared_ptr<const CandidateStage> candidates; // the bundle's retrieval indexes
  std::shared_ptr<const ItemSimilarity> similarity; // for explanations; may be null
  std::string bundle_fingerprint;                   // BundleRootStamp: detects a new version
};

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
  };

  static absl::StatusOr<std::unique_ptr<ServingStateManager>> Create(const Options& options);
  ~ServingStateManager();

  std::shared_ptr<const ServingState> Current() const;

  // Re-reads the config file and the bundle it names. Returns why a bad
  // config or bundle was rejected; the current state then stays.
  absl::Status Reload();

  // Starts a thread that reloads when the config file or the bundle changes
  // on disk, or after RequestReload() (the SIGHUP handler calls it).
  void StartWatching();
  // Async-signal-safe: only sets a flag for the watcher.
  void RequestReload() { reload_requested_.store(true); }

  int64_t reloads() const { return reloads_.load(); }
  int64_t rejected_reloads() const { return rejected_.load(); }

 private:
  explicit ServingStateManager(Options options) : options_(std::move(options)) {}
  // Builds a state from the config file, reusing `current`'s bundle when the
  // bundle on disk has not changed.
  absl::StatusOr<std::shared_ptr<const ServingState>> Build(const ServingState* current) const;
  void WatchLoop();

  const Options options_;
  mutable absl::Mutex mu_;
  std::shared_ptr<const ServingState> state_ ABSL_GUARDED_BY(mu_);
  absl::Mutex reload_mu_;  // one reload at a time
  std::atomic<bool> reload_requested_{false};
  std::atomic<int64_t> reloads_{0};
  std::atomic<int64_t> rejected_{0};
  absl::Notification stop_;
  std::thread watcher_;
};

// A cheap stamp of a bundle directory's files (names, sizes, mtimes), so a
// bundle rewritten in place is noticed without reading the tensors.
std::string BundleFingerprint(const std::string& dir);

}  // namespace recd

#endif  // RECD_SERVER_SERVING_STATE_H_
