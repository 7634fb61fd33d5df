#ifndef RECD_FUSION_FUSION_LAYER_H_
#define RECD_FUSION_FUSION_LAYER_H_

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "recd/fusion_config.h"
#include "recd/scorer.h"

namespace recd {

// One model's scores for the items of a request, before and after
// normalisation, with the weight fusion gave it.
struct ModelScores {
  std::string model;
  std::vector<float> raw;
  std::vector<float> normalized;
  double weight = 0;
  // The model's moments over the whole catalog for this user, when it can
  // tell them (Scorer::CatalogMoments): zscore then uses them instead of
  // the moments of `raw`, so the scale does not depend on which items a
  // request ranks.
  std::optional<ScoreMoments> catalog;
};

// Puts each model's scores on a common scale and blends them into one score
// per item. Stateless; all functions are thread-safe.
class FusionLayer {
 public:
  // Normalises `raw` over the scored items into `out` (same size); zscore
  // with `catalog` set uses those moments instead.
  // Non-finite raw scores are treated as the lowest score.
  static void Normalize(Normalization method, std::span<const float> raw, std::span<float> out,
                        const std::optional<ScoreMoments>& catalog = std::nullopt);

  // Reciprocal-rank transform: out[i] = 1 / (rrf_k + rank_i), rank 1-based.
  static void ReciprocalRanks(double rrf_k, std::span<const float> raw, std::span<float> out);

  // Fills every model's `normalized` and `weight` (from `weights`, 0 when the
  // model is not named) and writes fused[i] = sum_m weight_m * normalized_m[i].
  // REQUIRES: every raw.size() == fused.size().
  static void Blend(const FusionConfig& config, const std::map<std::string, double>& weights,
                    std::vector<ModelScores>& models, std::span<float> fused);
};

}  // namespace recd

#endif  // RECD_FUSION_FUSION_LAYER_H_
