#ifndef RECD_MODEL_BUNDLE_H_
#define RECD_MODEL_BUNDLE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/fusion_config.h"
#include "recd/id_map.h"
#include "recd/scorer.h"

namespace recd {

// Everything recd-train writes for one version of the models: the item id
// mapping, one scorer per model directory and the tuned fusion config.
//
//   <dir>/items.txt          line i = external id of dense item i
//   <dir>/fusion.yaml        tuned fusion weights (the daemon's default)
//   <dir>/fusion.<name>.yaml optional other tuned profiles (recd-train
//                            --second-profile), for experiment arms
//   <dir>/<name>/manifest.json + model.safetensors   one per model
//
// Immutable after Load(); thread-safe. Held by shared_ptr so a request keeps
// the bundle it started with alive across a model swap.
// The file of a bundle's extra fusion profile `name`: "fusion.<name>.yaml".
inline std::string BundleFusionProfileFile(std::string_view name) {
  return "fusion." + std::string(name) + ".yaml";
}

class ModelBundle {
 public:
  // Loads and validates every model directory under `dir` (one version
  // directory of a bundle root, see bundle_versions.h). Fails if any model
  // fails to load, disagrees with items.txt on the item count, or names in
  // its manifest's params.items_hash another items.txt than this one
  // (FailedPreconditionError naming the model dir and both hashes; a
  // manifest without items_hash is accepted). Up to `threads` models load at
  // once: the daemon's first load takes every core, a reload beside
  // requests being served one.
  static absl::StatusOr<std::shared_ptr<const ModelBundle>> Load(const std::string& dir, int threads = 1);

  // For tests and the trainer: a bundle from scorers already in memory.
  static std::shared_ptr<const ModelBundle> FromScorers(IdMap items,
                                                        std::vector<std::unique_ptr<Scorer>> scorers,
                                                        FusionConfig fusion);
  // A bundle served in place of `base`: its directory, version, fusion and
  // trained items, with `items` (the base's ids, then any items added to the
  // catalog since: see trained_items) and `scorers` (each scoring all of
  // `items`). For the daemon's new catalog items and live statistics, whose
  // scorers wrap the base's and share its models, never copy them.
  static std::shared_ptr<const ModelBundle> Derive(const ModelBundle& base, IdMap items,
                                                   std::vector<std::shared_ptr<const Scorer>> scorers);

  const std::string& dir() const { return dir_; }
  // The directory's name, plus "+<fusion version>" when fusion.yaml has one:
  // "3+tuned-0a1b2c3d" for version 3 of a bundle root.
  const std::string& version() const { return version_; }
  const IdMap& items() const { return items_; }
  int32_t num_items() const { return items_.size(); }
  // Items the models were trained on: dense ids below it. Ids from there to
  // num_items() are new items (models/new_items_scorer.h), which the trained retrieval
  // indexes do not hold.
  int32_t trained_items() const { return trained_items_; }
  const std::vector<std::shared_ptr<const Scorer>>& scorers() const { return scorers_; }
  const Scorer* Find(std::string_view name) const;
  const FusionConfig& fusion() const { return fusion_; }

 private:
  ModelBundle() = default;
  std::string dir_;
  std::string version_;
  IdMap items_;
  int32_t trained_items_ = 0;
  std::vector<std::shared_ptr<const Scorer>> scorers_;
  FusionConfig fusion_;
};

// Loads the scorer stored in one model directory, dispatching on the
// manifest's model_type.
absl::StatusOr<std::unique_ptr<Scorer>> LoadScorer(const std::string& model_dir);

}  // namespace recd

#endif  // RECD_MODEL_BUNDLE_H_
