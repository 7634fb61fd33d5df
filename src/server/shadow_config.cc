#include "server/shadow_config.h"

#include "absl/strings/str_cat.h"
#include "server/experiments.h"

namespace recd {
namespace {

absl::Status Invalid(const std::string& field, const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", why));
}

}  // namespace

absl::StatusOr<ShadowConfig> ShadowConfig::FromYaml(const YAML::Node& node) {
  if (!node.IsMap()) return Invalid("shadow", "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "name" && key != "fraction" && key != "fusion" && key != "bundle_fusion" &&
        key != "bundle_version" && key != "max_queue") {
      return Invalid("shadow." + key, "unknown field");
    }
  }
  ShadowConfig c;
  if (!node["name"] || !YAML::convert<std::string>::decode(node["name"], c.name) || !IsLabelSafe(c.name)) {
    return Invalid("shadow.name", "required: letters, digits, '_' or '-', at most 32");
  }
  if (const YAML::Node f = node["fraction"]) {
    if (!YAML::convert<double>::decode(f, c.fraction) || !(c.fraction > 0) || c.fraction > 1) {
      return Invalid("shadow.fraction", "in (0, 1]");
    }
  }
  if (const YAML::Node f = node["fusion"]) {
    auto fusion = FusionConfig::FromYaml(f);
    if (!fusion.ok()) return Invalid("shadow", std::string(fusion.status().message()));
    c.fusion = *std::move(fusion);
  }
  if (const YAML::Node b = node["bundle_fusion"]) {
    if (c.fusion) return Invalid("shadow.bundle_fusion", "give fusion or bundle_fusion, not both");
    if (!YAML::convert<std::string>::decode(b, c.bundle_fusion) || !IsLabelSafe(c.bundle_fusion)) {
      return Invalid("shadow.bundle_fusion", "a profile name: letters, digits, '_' or '-', at most 32");
    }
  }
  if (const YAML::Node v = node["bundle_version"]) {
    if (auto s = ParseBundleVersion(v, "shadow.bundle_version", c.bundle_version); !s.ok()) return s;
  }
  if (const YAML::Node q = node["max_queue"]) {
    if (!YAML::convert<int64_t>::decode(q, c.max_queue) || c.max_queue < 1 || c.max_queue > 100000) {
      return Invalid("shadow.max_queue", "in 1..100000");
    }
  }
  return c;
}

}  // namespace recd
