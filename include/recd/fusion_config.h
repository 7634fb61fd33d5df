#ifndef RECD_FUSION_CONFIG_H_
#define RECD_FUSION_CONFIG_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace YAML {
class Node;
}

namespace recd {

// How a model's scores are put on a common scale before blending.
enum class Normalization {
  kZScore,  // (s - mean) / stddev over the scored items
  kMinMax,  // (s - min) / (max - min)
  kRank,    // 1 for the best item down to 0 for the worst
  kNone,    // raw scores
};

enum class FusionMethod {
  kWeightedSum,   // sum of weight * normalised score
  kReciprocalRank // sum of weight / (rrf_k + rank), rank 1-based per model
};

// Weights used for users whose history length is at most max_history.
struct FusionSegment {
  std::string name;         // "cold", "short", ...
  int64_t max_history = 0;  // inclusive bound on the number of history events
  std::map<std::string, double> weights;
};

// The fusion layer's settings: the part of the config ops tune live.
// An immutable value once validated; swapped whole on reload.
struct FusionConfig {
  std::string version;                           // free label shown in responses
  FusionMethod method = FusionMethod::kWeightedSum;
  Normalization normalization = Normalization::kZScore;
  double rrf_k = 60.0;                           // only for kReciprocalRank
  std::map<std::string, double> weights;         // model name -> weight (>= 0)
  std::vector<FusionSegment> segments;           // ascending max_history; may be empty
  // Named weight sets for requests that rank for a purpose of their own
  // rather than for a user's next item (`fusion.profiles`). A request that
  // names one is blended with it alone (no segments). Default: "cart"
  // (DefaultCartWeights()); a file's `profiles` adds to it or replaces it.
  std::map<std::string, std::map<std::string, double>> profiles = {{"cart", DefaultCartWeights()}};
  // The profile cart completion (CompleteCart) ranks with; must name one of
  // `profiles`. Default "cart".
  std::string cart_profile = "cart";
  // The profile SimilarItems ranks an item's neighbours with: one of
  // `profiles`, or "" (the default) for the weights of a one-event history.
  // recd-train --similar-profile writes one tuned on its validation targets
  // ranked from each user's last item alone.
  std::string similar_profile;

  // The built-in "cart" profile: transitions (markov) and co-occurrence
  // (knn), what shoppers add next, well above content similarity, which
  // finds substitutes (another phone) rather than complements (its case).
  static std::map<std::string, double> DefaultCartWeights();

  // The weights for a user with `history_length` events: the first segment
  // whose max_history covers it, else `weights`.
  const std::map<std::string, double>& WeightsFor(int64_t history_length) const;
  // The weights of profile `name`, or null when there is none.
  const std::map<std::string, double>* Profile(const std::string& name) const;

  // Parses the `fusion:` mapping. Errors name the field ("fusion.weights.mf: ...").
  static absl::StatusOr<FusionConfig> FromYaml(const YAML::Node& node);
  static absl::StatusOr<FusionConfig> LoadFile(const std::string& path);
  // YAML text of this config under a top-level `fusion:` key.
  std::string ToYaml() const;
};

const char* NormalizationName(Normalization n);
const char* FusionMethodName(FusionMethod m);

}  // namespace recd

#endif  // RECD_FUSION_CONFIG_H_
