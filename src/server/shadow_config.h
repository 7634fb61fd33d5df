#ifndef RECD_SERVER_SHADOW_CONFIG_H_
#define RECD_SERVER_SHADOW_CONFIG_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "recd/fusion_config.h"
#include "yaml-cpp/yaml.h"

namespace recd {

// The config's `shadow:` section: a candidate ranking (another fusion
// profile, another bundle version, or both) that a fraction of live
// RecommendItems requests is also ranked by, off the request path, to
// compare with the live answers before it takes traffic (README, Shadow
// rollouts). Reloadable.
struct ShadowConfig {
  std::string name;       // [A-Za-z0-9_-], at most 32 characters: a metric label
  double fraction = 0.1;  // of RecommendItems answers, in (0, 1]
  // The candidate's fusion profile; absent = its bundle's fusion.yaml when
  // it ranks with a bundle of its own, else the live profile.
  std::optional<FusionConfig> fusion;
  // Or a profile its bundle ships: fusion.<bundle_fusion>.yaml.
  std::string bundle_fusion;
  // Which version under models.path it ranks with (ParseBundleVersion):
  // 0 = the served one, kNewestBundleVersion ("newest"), N = version N.
  int64_t bundle_version = 0;
  // Shadow rankings waiting for the shadow's thread; a sampled request that
  // finds it full is not shadowed (counted as skipped).
  int64_t max_queue = 256;

  // Parses the mapping; errors name the field ("shadow.fraction: ...").
  static absl::StatusOr<ShadowConfig> FromYaml(const YAML::Node& node);
};

}  // namespace recd

#endif  // RECD_SERVER_SHADOW_CONFIG_H_
