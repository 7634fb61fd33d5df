#ifndef RECD_UTIL_QUANTILE_H_
#define RECD_UTIL_QUANTILE_H_

#include <algorithm>
#include <cmath>
#include <vector>

namespace recd {

// Quantile p (0..1) of ascending `sorted` by the nearest-rank method; 0 when
// empty. Benchmark reports use it so their percentiles agree.
inline double Quantile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0.0;
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(rank == 0 ? 0 : rank - 1, sorted.size() - 1)];
}

}  // namespace recd

#endif  // RECD_UTIL_QUANTILE_H_
