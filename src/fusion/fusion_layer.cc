#include "fusion/fusion_layer.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

namespace recd {
namespace {

float Finite(float x, float floor) { return std::isfinite(x) ? x : floor; }

float FiniteMin(std::span<const float> raw) {
  float lo = std::numeric_limits<float>::max();
  for (float x : raw) {
    if (std::isfinite(x)) lo = std::min(lo, x);
  }
  return lo == std::numeric_limits<float>::max() ? 0.0f : lo;
}

// Indices of `raw` by descending score; ties keep index order so results are
// deterministic.
std::vector<int32_t> OrderDescending(std::span<const float> raw, float floor) {
  std::vector<int32_t> order(raw.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    return Finite(raw[a], floor) > Finite(raw[b], floor);
  });
  return order;
}

}  // namespace

void FusionLayer::Normalize(Normalization method, std::span<const float> raw, std::span<float> out,
                            const std::optional<ScoreMoments>& catalog) {
  const size_t n = raw.size();
  if (n == 0) return;
  const float floor = FiniteMin(raw);
  switch (method) {
    case Normalization::kNone:
      for (size_t i = 0; i < n; ++i) out[i] = Finite(raw[i], floor);
      return;
    case Normalization::kZScore: {
      double mean = 0, sd = 0;
      if (catalog) {
        mean = catalog->mean;
        sd = catalog->sd;
      } else {
        double sum = 0, sum_sq = 0;
        for (float x : raw) {
          const double v = Finite(x, floor);
          sum += v;
          sum_sq += v * v;
        }
        mean = sum / n;
        sd = std::sqrt(std::max(0.0, sum_sq / n - mean * mean));
      }
      // A model that cannot tell items apart for this user contributes
      // nothing (an sd within float noise of the mean is none).
      const double inv = sd > 1e-12 && sd > 1e-6 * std::abs(mean) ? 1.0 / sd : 0.0;
      for (size_t i = 0; i < n; ++i) out[i] = static_cast<float>((Finite(raw[i], floor) - mean) * inv);
      return;
    }
    case Normalization::kMinMax: {
      float hi = floor;
      for (float x : raw) hi = std::max(hi, Finite(x, floor));
      const float range = hi - floor;
      for (size_t i = 0; i < n; ++i) out[i] = range > 0 ? (Finite(raw[i], floor) - floor) / range : 0.0f;
      return;
    }
    case Normalization::kRank: {
      const auto order = OrderDescending(raw, floor);
      const float denom = n > 1 ? static_cast<float>(n - 1) : 1.0f;
      for (size_t r = 0; r < n; ++r) out[order[r]] = 1.0f - static_cast<float>(r) / denom;
      return;
    }
  }
}

void FusionLayer::ReciprocalRanks(double rrf_k, std::span<const float> raw, std::span<float> out) {
  const auto order = OrderDescending(raw, FiniteMin(raw));
  for (size_t r = 0; r < order.size(); ++r) {
    out[order[r]] = static_cast<float>(1.0 / (rrf_k + static_cast<double>(r + 1)));
  }
}

void FusionLayer::Blend(const FusionConfig& config, const std::map<std::string, double>& weights,
                        std::vector<ModelScores>& models, std::span<float> fused) {
  std::fill(fused.begin(), fused.end(), 0.0f);
  for (ModelScores& m : models) {
    auto it = weights.find(m.model);
    m.weight = it == weights.end() ? 0.0 : it->second;
    m.normalized.resize(m.raw.size());
    if (config.method == FusionMethod::kReciprocalRank) {
      ReciprocalRanks(config.rrf_k, m.raw, m.normalized);
    } else {
      Normalize(config.normalization, m.raw, m.normalized, m.catalog);
    }
    if (m.weight == 0) continue;
    const float w = static_cast<float>(m.weight);
    for (size_t i = 0; i < fused.size(); ++i) fused[i] += w * m.normalized[i];
  }
}

}  // namespace recd
