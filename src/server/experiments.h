#ifndef RECD_SERVER_EXPERIMENTS_H_
#define RECD_SERVER_EXPERIMENTS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "ranking/experiment_bucket.h"
#include "recd/fusion_config.h"
#include "yaml-cpp/yaml.h"

namespace recd {

class RankingPipeline;
struct ServingState;

// The config's `experiments:` section: A/B arms of fusion profiles inside
// the daemon. Each user is in one arm, chosen by a salted hash of the user
// id alone, so the same user gets the same arm across restarts, reloads that
// keep the salt and shares, and every replica.
struct ExperimentConfig {
  static constexpr size_t kMaxArms = 8;
  static constexpr int kBuckets = kExperimentBuckets;  // shares resolve to 0.01%

  struct Arm {
    std::string name;   // [A-Za-z0-9_-], at most 32 characters: a metric label
    double share = 0;   // of users; the arms' shares add up to 1
    // The arm's fusion profile; absent = the served one (config's or bundle's).
    std::optional<FusionConfig> fusion;
    // Or a profile the bundle ships: fusion.<bundle_fusion>.yaml in the
    // served bundle's directory (recd-train --second-profile). Read when a
    // bundle loads; a bundle without it fails the load (reload rejected).
    std::string bundle_fusion;
    // The bundle version it ranks with (ParseBundleVersion): 0 = the served
    // one. With another version and no profile, that bundle's fusion.yaml.
    int64_t bundle_version = 0;
  };
  // Changing it reshuffles every user: a new experiment, new arms.
  std::string salt;
  std::vector<Arm> arms;

  // Parses the mapping; errors name the field ("experiments.arms[1].share: ...").
  static absl::StatusOr<ExperimentConfig> FromYaml(const YAML::Node& node);
};

// A `bundle_version` field of an arm or a shadow: a version number under
// models.path, 0 (the served version) or "newest" (kNewestBundleVersion:
// the newest that loads). Errors name `field`.
inline constexpr int64_t kNewestBundleVersion = -1;
absl::Status ParseBundleVersion(const YAML::Node& node, const std::string& field, int64_t& out);

// A name fit for a metric label: [A-Za-z0-9_-], 1 to 32 characters.
bool IsLabelSafe(std::string_view name);

// The user's bucket in [0, kBuckets): the user id's 64-bit xxHash seeded by
// the salt's.
int ExperimentBucket(std::string_view salt, std::string_view user_id);

// The arms of one serving state, each with the pipeline ranking for it.
// Immutable; thread-safe.
class ExperimentArms {
 public:
  struct Arm {
    std::string name;
    int end_bucket = 0;  // users with bucket < end_bucket (and >= the previous arm's) are in it
    std::shared_ptr<const RankingPipeline> pipeline;
    // With a bundle version of its own: that bundle's state (its catalog
    // facts and indexes; its pipeline is `pipeline`). Null = the live one's.
    std::shared_ptr<const ServingState> state;
  };

  ExperimentArms(std::string salt, std::vector<Arm> arms) : salt_(std::move(salt)), arms_(std::move(arms)) {}

  const Arm& For(std::string_view user_id) const;
  const std::vector<Arm>& arms() const { return arms_; }
  const std::string& salt() const { return salt_; }

 private:
  std::string salt_;
  std::vector<Arm> arms_;  // non-empty; the last end_bucket is kBuckets
};

}  // namespace recd

#endif  // RECD_SERVER_EXPERIMENTS_H_
