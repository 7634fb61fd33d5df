#ifndef RECD_TRAIN_BUNDLE_TRAINER_H_
#define RECD_TRAIN_BUNDLE_TRAINER_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/dataset.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"
#include "retrieval/ann_index.h"
#include "train/als_trainer.h"
#include "train/content_builder.h"
#include "train/fusion_tuner.h"
#include "train/knn_builder.h"
#include "train/lstm_trainer.h"
#include "train/markov_builder.h"
#include "train/pop_builder.h"

namespace recd {

// What recd-train builds. Each model's options default to the values tuned
// on validation targets (see the builders' headers).
struct BundleTrainOptions {
  // Models to train, by name: pop, markov, knn, content, mf, lstm.
  std::vector<std::string> models = {"pop", "markov", "knn", "content", "mf", "lstm"};
  PopBuilderOptions pop;
  MarkovBuilderOptions markov;
  KnnBuilderOptions knn;
  ContentBuilderOptions content;
  AlsOptions als;
  LstmTrainOptions lstm;
  // The LSTM's softmax. -1 = by catalog size: full softmax up to
  // lstm_full_softmax_max_items items (so Beauty's 12k keep the exact
  // recipe), sampled softmax with lstm_auto_negatives negatives above, where
  // the full softmax's O(items) cost per position dominates an epoch.
  // 0 = full softmax; N > 0 = N negatives. Overrides lstm.sampled_negatives.
  int lstm_negatives = -1;
  int32_t lstm_full_softmax_max_items = 20000;
  // On a generated 100k-item catalog, 512 negatives lost 15% validation
  // NDCG@10 after 3 epochs against 1024, and 2048 gained 2% for roughly
  // twice the epoch time.
  int lstm_auto_negatives = 1024;

  // Catalogs with more items than this get, in each embedding model's
  // directory (mf, lstm), the ANN index the daemon would otherwise build at
  // every load (ann.hnsw + ann.json, see docs/model_format.md). Match the
  // daemon's candidates.full_scan_max_items: at or below it the daemon scores
  // the whole catalog and uses no index, and demo-size bundles carry none.
  int64_t full_scan_max_items = 20000;
  // On such catalogs fusion is tuned on the items the models nominate, this
  // many each (FusionTunerOptions::nominate_depth): match the daemon's
  // candidates.per_source.
  int candidates_per_source = 100;
  // How those indexes are built; threads 0 = all hardware threads, since
  // training runs offline. The daemon reads them with its own ef_search.
  AnnIndexOptions ann;

  FusionTunerOptions fusion;
  // Also tune a second fusion profile restricted to this normalisation and
  // write it as fusion.<normalisation>.yaml beside fusion.yaml, for an
  // experiment arm to compare (`bundle_fusion: <normalisation>`). Unset =
  // none.
  std::optional<Normalization> second_profile;
  // Validation users scored per model for the manifest's metrics; 0 = all.
  int64_t validation_users = 5000;
  // Recorded in every manifest: what the models were trained on.
  std::string data_hash;
};

struct ModelTrainReport {
  std::string name;
  double seconds = 0;
  RankingMetrics validation;
};

struct BundleTrainReport {
  std::vector<ModelTrainReport> models;
  // One entry per LSTM epoch trained (empty without "lstm"): its validation
  // curve, from which a fixed epoch count is chosen (LstmTrainOptions::fixed_epochs).
  std::vector<LstmEpochReport> lstm_epochs;
  FusionTuningResult fusion;
  std::optional<FusionTuningResult> second_fusion;  // with options.second_profile
  double seconds = 0;
  // Set by TrainBundleVersion: the version published and its directory.
  int64_t version = 0;
  std::string version_dir;
};

// The sampled_negatives the LSTM trains with on a catalog of `num_items`
// (see BundleTrainOptions::lstm_negatives).
int LstmNegatives(const BundleTrainOptions& options, int32_t num_items);

// Trains every model on split.train (the leave-one-out training view of
// `data`), measures each on the validation targets, tunes the fusion weights
// on the same targets, and writes the bundle (items.txt, fusion.yaml, one
// directory per model, each manifest with params.items_hash, with its ANN
// index above options.full_scan_max_items items) to `out_dir`, a plain
// bundle directory (tests, one-off evaluations). The bundle is built beside
// `out_dir` and renamed over it; the old one is moved aside first, so there
// is a moment with no bundle: a daemon must be given a versions root
// written by TrainBundleVersion instead.
absl::StatusOr<BundleTrainReport> TrainBundle(const Dataset& data, const LeaveOneOutSplit& split,
                                              const BundleTrainOptions& options, const std::string& out_dir);

// As TrainBundle, but publishes the bundle as a new version of the bundle
// root `root` (recd/bundle_versions.h; created if missing): built in a
// staging dir inside `root`, made durable and renamed to <root>/<newest+1> in
// one rename (see train/version_publisher.h), then versions beyond the newest
// `keep_versions` are pruned. Never writes into an existing version, so a
// daemon serving one is never disturbed. Fails before training when
// keep_versions < 1 or `root` holds a bundle directly.
//
// `accept` (optional) is asked about the complete staged bundle before it is
// published (a retraining loop's quality gate); a non-OK answer removes the
// staged bundle and is returned, and nothing is published.
using StagedBundleCheck = std::function<absl::Status(const std::string& staged_dir)>;
absl::StatusOr<BundleTrainReport> TrainBundleVersion(const Dataset& data, const LeaveOneOutSplit& split,
                                                     const BundleTrainOptions& options, const std::string& root,
                                                     int keep_versions = 3, const StagedBundleCheck& accept = {});

}  // namespace recd

#endif  // RECD_TRAIN_BUNDLE_TRAINER_H_
