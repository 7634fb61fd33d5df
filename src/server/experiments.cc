#include "server/experiments.h"

#include <cmath>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "util/field_errors.h"

namespace recd {
bool IsLabelSafe(std::string_view name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<ExperimentConfig> ExperimentConfig::FromYaml(const YAML::Node& node) {
  if (!node.IsMap()) return InvalidField("experiments", "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (key != "salt" && key != "arms") return InvalidField("experiments." + key, "unknown field");
  }
  ExperimentConfig c;
  if (!node["salt"] || !YAML::convert<std::string>::decode(node["salt"], c.salt) || c.salt.empty()) {
    return InvalidField("experiments.salt", "required, a non-empty string");
  }
  const YAML::Node arms = node["arms"];
  if (!arms || !arms.IsSequence() || arms.size() < 2 || arms.size() > kMaxArms) {
    return InvalidField("experiments.arms", absl::StrCat("a list of 2 to ", kMaxArms, " arms"));
  }
  std::set<std::string> names;
  double total = 0;
  for (size_t i = 0; i < arms.size(); ++i) {
    const std::string field = absl::StrCat("experiments.arms[", i, "]");
    const YAML::Node a = arms[i];
    if (!a.IsMap()) return InvalidField(field, "must be a mapping");
    for (const auto& kv : a) {
      const std::string key = kv.first.as<std::string>();
      if (key != "name" && key != "share" && key != "fusion" && key != "bundle_fusion" && key != "bundle_version") {
        return InvalidField(field + "." + key, "unknown field");
      }
    }
    Arm arm;
    if (!a["name"] || !YAML::convert<std::string>::decode(a["name"], arm.name) || !IsLabelSafe(arm.name)) {
      return InvalidField(field + ".name", "required: letters, digits, '_' or '-', at most 32");
    }
    if (!names.insert(arm.name).second) return InvalidField(field + ".name", absl::StrCat("'", arm.name, "' used twice"));
    if (!a["share"] || !YAML::convert<double>::decode(a["share"], arm.share) || !(arm.share > 0) ||
        arm.share > 1) {
      return InvalidField(field + ".share", "required, in (0, 1]");
    }
    total += arm.share;
    if (const YAML::Node f = a["fusion"]) {
      auto fusion = FusionConfig::FromYaml(f);
      if (!fusion.ok()) return InvalidField(field, std::string(fusion.status().message()));
      arm.fusion = *std::move(fusion);
    }
    if (const YAML::Node b = a["bundle_fusion"]) {
      if (arm.fusion) return InvalidField(field + ".bundle_fusion", "give fusion or bundle_fusion, not both");
      if (!YAML::convert<std::string>::decode(b, arm.bundle_fusion) || !IsLabelSafe(arm.bundle_fusion)) {
        return InvalidField(field + ".bundle_fusion", "a profile name: letters, digits, '_' or '-', at most 32");
      }
    }
    if (const YAML::Node v = a["bundle_version"]) {
      if (auto s = ParseBundleVersion(v, field + ".bundle_version", arm.bundle_version); !s.ok()) return s;
    }
    c.arms.push_back(std::move(arm));
  }
  if (std::abs(total - 1.0) > 1e-6) return InvalidField("experiments.arms", absl::StrCat("shares add up to ", total, ", not 1"));
  return c;
}

absl::Status ParseBundleVersion(const YAML::Node& node, const std::string& field, int64_t& out) {
  std::string text;
  if (!YAML::convert<std::string>::decode(node, text)) return InvalidField(field, "wrong type");
  if (text == "newest") {
    out = kNewestBundleVersion;
    return absl::OkStatus();
  }
  if (!absl::SimpleAtoi(text, &out) || out < 0) {
    return InvalidField(field, absl::StrCat("'", text, "': a version number, 0 (the served one) or newest"));
  }
  return absl::OkStatus();
}

const ExperimentArms::Arm& ExperimentArms::For(std::string_view user_id) const {
  const int bucket = ExperimentBucket(salt_, user_id);
  for (const Arm& arm : arms_) {
    if (bucket < arm.end_bucket) return arm;
  }
  return arms_.back();
}

}  // namespace recd
