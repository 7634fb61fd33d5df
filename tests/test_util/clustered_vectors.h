#ifndef RECD_TESTS_TEST_UTIL_CLUSTERED_VECTORS_H_
#define RECD_TESTS_TEST_UTIL_CLUSTERED_VECTORS_H_

#include <cmath>
#include <cstdint>
#include <random>

#include "models/implicit_solve.h"

namespace recd {

// Standard deviation of log |row|: 0.8 is what the demo MF model's item
// factors have (norms p5 0.12, p50 0.56, p95 1.6).
inline constexpr float kClusteredNormLogSd = 0.8f;

// Rows around `clusters` random centres, each row scaled by a log-normal
// factor so that norms vary as popularity makes them vary in trained item
// factors. Seeded and deterministic; ANN tests and benchmarks draw items and
// queries from it.
inline RowMatrixXf ClusteredVectors(int rows, int dim, int clusters, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  RowMatrixXf centres(clusters, dim);
  for (float& v : centres.reshaped()) v = normal(rng);
  RowMatrixXf out(rows, dim);
  for (int r = 0; r < rows; ++r) {
    const int c = static_cast<int>(rng() % clusters);
    for (int j = 0; j < dim; ++j) out(r, j) = centres(c, j) + 0.5f * normal(rng);
    out.row(r) *= std::exp(kClusteredNormLogSd * normal(rng));
  }
  return out;
}

}  // namespace recd

#endif  // RECD_TESTS_TEST_UTIL_CLUSTERED_VECTORS_H_
