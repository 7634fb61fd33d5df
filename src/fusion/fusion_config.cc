#include "recd/fusion_config.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "yaml-cpp/yaml.h"

namespace recd {
namespace {

absl::StatusOr<std::map<std::string, double>> ParseWeights(const YAML::Node& node,
                                                          const std::string& field) {
  if (!node.IsMap()) return absl::InvalidArgumentError(absl::StrCat(field, ": must be a mapping of model -> weight"));
  std::map<std::string, double> weights;
  for (const auto& kv : node) {
    const std::string model = kv.first.as<std::string>();
    double w = 0;
    if (!YAML::convert<double>::decode(kv.second, w) || !std::isfinite(w) || w < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".", model, ": weight must be a finite number >= 0"));
    }
    weights[model] = w;
  }
  return weights;
}

template <typename Enum>
absl::StatusOr<Enum> ParseEnum(const YAML::Node& node, const std::string& field,
                               const std::map<std::string, Enum>& names) {
  const std::string s = node.as<std::string>();
  auto it = names.find(s);
  if (it != names.end()) return it->second;
  std::string allowed;
  for (const auto& [name, value] : names) absl::StrAppend(&allowed, allowed.empty() ? "" : ", ", name);
  return absl::InvalidArgumentError(absl::StrCat(field, ": unknown value '", s, "' (allowed: ", allowed, ")"));
}

const std::map<std::string, Normalization>& NormalizationNames() {
  static const auto* names = new std::map<std::string, Normalization>{
      {"zscore", Normalization::kZScore}, {"minmax", Normalization::kMinMax},
      {"rank", Normalization::kRank}, {"none", Normalization::kNone}};
  return *names;
}

const std::map<std::string, FusionMethod>& MethodNames() {
  static const auto* names = new std::map<std::string, FusionMethod>{
      {"weighted_sum", FusionMethod::kWeightedSum},
      {"reciprocal_rank", FusionMethod::kReciprocalRank}};
  return *names;
}

bool AnyPositive(const std::map<std::string, double>& weights) {
  return std::any_of(weights.begin(), weights.end(), [](const auto& kv) { return kv.second > 0; });
}

absl::StatusOr<FusionConfig> ParseFusion(const YAML::Node& node) {
  if (!node.IsMap()) return absl::InvalidArgumentError("fusion: must be a mapping");
  static const char* kKnown[] = {"version", "method", "normalization", "rrf_k", "weights", "segments", "profiles",
                                 "cart_profile", "similar_profile"};
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::find(std::begin(kKnown), std::end(kKnown), key) == std::end(kKnown)) {
      return absl::InvalidArgumentError(absl::StrCat("fusion.", key, ": unknown field"));
    }
  }
  FusionConfig config;
  if (node["version"]) config.version = node["version"].as<std::string>();
  if (node["method"]) {
    auto m = ParseEnum(node["method"], "fusion.method", MethodNames());
    if (!m.ok()) return m.status();
    config.method = *m;
  }
  if (node["normalization"]) {
    auto n = ParseEnum(node["normalization"], "fusion.normalization", NormalizationNames());
    if (!n.ok()) return n.status();
    config.normalization = *n;
  }
  if (node["rrf_k"]) {
    if (!YAML::convert<double>::decode(node["rrf_k"], config.rrf_k) || !(config.rrf_k > 0)) {
      return absl::InvalidArgumentError("fusion.rrf_k: must be a number > 0");
    }
  }
  if (!node["weights"]) return absl::InvalidArgumentError("fusion.weights: required");
  auto weights = ParseWeights(node["weights"], "fusion.weights");
  if (!weights.ok()) return weights.status();
  config.weights = *std::move(weights);
  if (!AnyPositive(config.weights)) return absl::InvalidArgumentError("fusion.weights: at least one weight must be > 0");

  if (const YAML::Node segs = node["segments"]) {
    if (!segs.IsSequence()) return absl::InvalidArgumentError("fusion.segments: must be a list");
    for (size_t i = 0; i < segs.size(); ++i) {
      const std::string field = absl::StrCat("fusion.segments[", i, "]");
      FusionSegment seg;
      if (segs[i]["name"]) seg.name = segs[i]["name"].as<std::string>();
      if (!segs[i]["max_history"] ||
          !YAML::convert<int64_t>::decode(segs[i]["max_history"], seg.max_history) ||
          seg.max_history < 0) {
        return absl::InvalidArgumentError(absl::StrCat(field, ".max_history: required integer >= 0"));
      }
      if (!config.segments.empty() && seg.max_history <= config.segments.back().max_history) {
        return absl::InvalidArgumentError(
            absl::StrCat(field, ".max_history: segments must be in ascending max_history"));
      }
      auto w = ParseWeights(segs[i]["weights"], absl::StrCat(field, ".weights"));
      if (!w.ok()) return w.status();
      seg.weights = *std::move(w);
      config.segments.push_back(std::move(seg));
    }
  }
  if (const YAML::Node profiles = node["profiles"]) {
    if (!profiles.IsMap()) return absl::InvalidArgumentError("fusion.profiles: must be a mapping of name -> weights");
    for (const auto& kv : profiles) {
      const std::string name = kv.first.as<std::string>();
      const std::string field = absl::StrCat("fusion.profiles.", name);
      auto w = ParseWeights(kv.second, field);
      if (!w.ok()) return w.status();
      if (!AnyPositive(*w)) return absl::InvalidArgumentError(absl::StrCat(field, ": at least one weight must be > 0"));
      config.profiles[name] = *std::move(w);
    }
  }
  if (node["cart_profile"]) config.cart_profile = node["cart_profile"].as<std::string>();
  if (node["similar_profile"]) config.similar_profile = node["similar_profile"].as<std::string>();
  auto missing = [&config](const char* field, const std::string& name) {
    return absl::InvalidArgumentError(
        absl::StrCat("fusion.", field, ": no profile named '", name, "' in fusion.profiles"));
  };
  if (config.Profile(config.cart_profile) == nullptr) return missing("cart_profile", config.cart_profile);
  // Optional: none named ranks SimilarItems with the weights for one event.
  if (!config.similar_profile.empty() && config.Profile(config.similar_profile) == nullptr) {
    return missing("similar_profile", config.similar_profile);
  }
  return config;
}

}  // namespace

std::map<std::string, double> FusionConfig::DefaultCartWeights() {
  return {{"markov", 1.0}, {"knn", 1.0}, {"mf", 0.2}, {"lstm", 0.2}, {"content", 0.1}, {"pop", 0.05}};
}

const std::map<std::string, double>* FusionConfig::Profile(const std::string& name) const {
  auto it = profiles.find(name);
  return it == profiles.end() ? nullptr : &it->second;
}

const std::map<std::string, double>& FusionConfig::WeightsFor(int64_t history_length) const {
  for (const auto& seg : segments) {
    if (history_length <= seg.max_history) return seg.weights;
  }
  return weights;
}

absl::StatusOr<FusionConfig> FusionConfig::FromYaml(const YAML::Node& node) {
  try {
    return ParseFusion(node);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("fusion: ", e.what()));
  }
}

absl::StatusOr<FusionConfig> FusionConfig::LoadFile(const std::string& path) {
  YAML::Node fusion;
  try {
    // Looked up inside the try: operator[] throws on a root that is a
    // scalar or a list, and a bundle's fusion.yaml is untrusted input.
    fusion = YAML::LoadFile(path)["fusion"];
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", e.what()));
  }
  if (!fusion) return absl::InvalidArgumentError(absl::StrCat(path, ": no top-level 'fusion' key"));
  auto config = FromYaml(fusion);
  if (!config.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", config.status().message()));
  }
  return config;
}

std::string FusionConfig::ToYaml() const {
  YAML::Emitter out;
  out.SetDoublePrecision(6);
  out << YAML::BeginMap << YAML::Key << "fusion" << YAML::Value << YAML::BeginMap;
  out << YAML::Key << "version" << YAML::Value << version;
  out << YAML::Key << "method" << YAML::Value << FusionMethodName(method);
  out << YAML::Key << "normalization" << YAML::Value << NormalizationName(normalization);
  out << YAML::Key << "rrf_k" << YAML::Value << rrf_k;
  auto emit_weights = [&out](const std::map<std::string, double>& w) {
    out << YAML::BeginMap;
    for (const auto& [m, v] : w) out << YAML::Key << m << YAML::Value << v;
    out << YAML::EndMap;
  };
  out << YAML::Key << "weights" << YAML::Value;
  emit_weights(weights);
  if (!segments.empty()) {
    out << YAML::Key << "segments" << YAML::Value << YAML::BeginSeq;
    for (const auto& seg : segments) {
      out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << seg.name;
      out << YAML::Key << "max_history" << YAML::Value << seg.max_history;
      out << YAML::Key << "weights" << YAML::Value;
      emit_weights(seg.weights);
      out << YAML::EndMap;
    }
    out << YAML::EndSeq;
  }
  // Only what differs from the defaults: a config that never named a
  // profile is written as it always was.
  const FusionConfig defaults;
  if (profiles != defaults.profiles) {
    out << YAML::Key << "profiles" << YAML::Value << YAML::BeginMap;
    for (const auto& [name, w] : profiles) {
      out << YAML::Key << name << YAML::Value;
      emit_weights(w);
    }
    out << YAML::EndMap;
  }
  if (cart_profile != defaults.cart_profile) out << YAML::Key << "cart_profile" << YAML::Value << cart_profile;
  if (similar_profile != defaults.similar_profile) {
    out << YAML::Key << "similar_profile" << YAML::Value << similar_profile;
  }
  out << YAML::EndMap << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

const char* NormalizationName(Normalization n) {
  for (const auto& [name, value] : NormalizationNames()) {
    if (value == n) return name.c_str();
  }
  return "?";
}

const char* FusionMethodName(FusionMethod m) {
  for (const auto& [name, value] : MethodNames()) {
    if (value == m) return name.c_str();
  }
  return "?";
}

}  // namespace recd
