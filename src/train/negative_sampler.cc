#include "train/negative_sampler.h"

#include <algorithm>
#include <cmath>

namespace recd {

NegativeSampler::NegativeSampler(std::span<const int64_t> counts, double power, int draws)
    : draws_(draws), cumulative_(counts.size()), log_expected_count_(counts.size()) {
  std::vector<double> weight(counts.size());
  double total = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    weight[i] = std::pow(static_cast<double>(counts[i]) + 1.0, power);
    total += weight[i];
    cumulative_[i] = total;
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    log_expected_count_[i] = static_cast<float>(std::log(draws * weight[i] / total));
  }
}

void NegativeSampler::Sample(std::mt19937_64* rng, NegativeSample* out) const {
  std::vector<int32_t> drawn(static_cast<size_t>(draws_));
  const double total = cumulative_.back();
  for (int32_t& item : drawn) {
    // 53 random bits: a uniform double in [0, 1) that is the same on every
    // platform, unlike std::uniform_real_distribution.
    const double u = static_cast<double>((*rng)() >> 11) * 0x1.0p-53 * total;
    const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
    item = static_cast<int32_t>(std::min<std::ptrdiff_t>(
        it - cumulative_.begin(), static_cast<std::ptrdiff_t>(cumulative_.size()) - 1));
  }
  std::sort(drawn.begin(), drawn.end());
  out->items.clear();
  out->counts.clear();
  for (int32_t item : drawn) {
    if (!out->items.empty() && out->items.back() == item) {
      ++out->counts.back();
    } else {
      out->items.push_back(item);
      out->counts.push_back(1);
    }
  }
}

}  // namespace recd
