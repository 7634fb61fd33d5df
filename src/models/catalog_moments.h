#ifndef RECD_MODELS_CATALOG_MOMENTS_H_
#define RECD_MODELS_CATALOG_MOMENTS_H_

#include <cstdint>
#include <span>

#include <Eigen/Core>

#include "recd/scorer.h"

namespace recd {

// Sums over the catalog, kept at load, from which a user's score moments
// (Scorer::CatalogMoments) follow in time independent of the catalog size.

// Count, sum and sum of squares of a dense per-item vector (a popularity
// prior, a model's constant scores). In double: catalogs reach 1M items.
struct DenseSums {
  int64_t n = 0;
  double sum = 0;
  double sum_sq = 0;

  static DenseSums Of(std::span<const float> values);
  ScoreMoments Moments() const;
};

// Mean and sd from the sums of n scores; 0 sd when n is 0 or they are equal.
ScoreMoments MomentsFromSums(int64_t n, double sum, double sum_sq);

// Moments of prior_weight * prior[i] + sparse[i] over the n = prior_sums.n
// items, where `sparse` is nonzero at most at `items` (strictly increasing)
// with `values`: O(items), from the prior's sums.
// REQUIRES: prior has prior_sums.n entries when prior_weight != 0.
ScoreMoments SparseOverPriorMoments(const DenseSums& prior_sums, std::span<const float> prior,
                                    float prior_weight, std::span<const int32_t> items,
                                    std::span<const float> values);

// Moments of items[i] . query + bias[i] over the rows of an embedding table:
// its mean row and covariance (with the bias as one more column), so a
// query costs O(dim^2). Immutable after Of(); thread-safe.
class EmbeddingMoments {
 public:
  // Reads the table in blocks, in double. REQUIRES: rows > 0.
  static EmbeddingMoments Of(const ItemEmbeddings& embeddings);
  // REQUIRES: query.size() == dim of the table.
  ScoreMoments For(std::span<const float> query) const;

 private:
  Eigen::VectorXd mean_;  // [dim + 1], the bias last (0 without one)
  Eigen::MatrixXd cov_;   // [dim + 1, dim + 1]
};

}  // namespace recd

#endif  // RECD_MODELS_CATALOG_MOMENTS_H_
