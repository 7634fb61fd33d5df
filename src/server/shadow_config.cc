#include "server/shadow_config.h"

#include "absl/strings/str_cat.h"
#include "server/experiments.h"
#include "util/field_errors.h"

namespace recd {

absl::StatusOr<ShadowConfig> ShadowConfig::FromYaml(const YAML::Node& node) {
  if (!node.IsMap()) return InvalidField("shadow", "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "name" && key != "fraction" && key != "fusion" && key != "bundle_fusion" &&
        key != "bundle_version" && key != "max_queue") {
      return InvalidField("shadow." + key, "unknown field");
    }
  }
  ShadowConfig c;
  if (!node["name"] || !YAML::convert<std::string>::decode(node["name"], c.name) || !IsLabelSafe(c.name)) {
    return InvalidField("shadow.name", "required: letters, digits, '_' or '-', at most 32");
  }
  if (const YAML::Node f = node["fraction"]) {
    if (!YAML::convert<double>::decode(f, c.fraction) || !(c.fraction > 0) || c.fraction > 1) {
      return InvalidField("shadow.fraction", "in (0, 1]");
    }
  }
  if (const YAML::Node f = node["fusion"]) {
    auto fusion = FusionConfig::FromYaml(f);
    if (!fusion.ok()) return InvalidField("shadow", std::string(fusion.status().message()));
    c.fusion = *std::move(fusion);
  }
  if (const YAML::Node b = node["bundle_fusion"]) {
    if (c.fusion) return InvalidField("shadow.bundle_fusion", "give fusion or bundle_fusion, not both");
    if (!YAML::convert<std::string>::decode(b, c.bundle_fusion) || !IsLabelSafe(c.bundle_fusion)) {
      return InvalidField("shadow.bundle_fusion", "a profile name: letters, digits, '_' or '-', at most 32");
    }
  }
  if (const YAML::Node v = node["bundle_version"]) {
    if (auto s = ParseBundleVersion(v, "shadow.bundle_version", c.bundle_version); !s.ok()) return s;
  }
  if (const YAML::Node q = node["max_queue"]) {
    if (!YAML::convert<int64_t>::decode(q, c.max_queue) || c.max_queue < 1 || c.max_queue > 100000) {
      return InvalidField("shadow.max_queue", "in 1..100000");
    }
  }
  return c;
}

}  // namespace recd
