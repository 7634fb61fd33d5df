#ifndef RECD_MODELS_SPARSE_MATRIX_H_
#define RECD_MODELS_SPARSE_MATRIX_H_

#include <cstdint>
#include <span>
#include <vector>

#include <Eigen/Sparse>

namespace recd {

// Row-major compressed sparse matrix with 32-bit indices: exactly the CSR
// layout (indptr, indices, values) that model files store, so saving and
// loading are plain copies. Column indices are sorted within each row.
using SparseRowMatrix = Eigen::SparseMatrix<float, Eigen::RowMajor, int32_t>;

// One scored item, e.g. a neighbour and its similarity.
struct ItemScore {
  int32_t item = -1;
  float score = 0.0f;
  bool operator==(const ItemScore&) const = default;
};

// The `k` largest entries of row `row`, best first; ties broken by lower
// column index so the order is deterministic.
std::vector<ItemScore> TopOfRow(const SparseRowMatrix& m, int32_t row, int32_t k);

// The `k` largest entries of a dense score vector, best first, ties by lower
// index.
std::vector<ItemScore> TopOfVector(std::span<const float> scores, int32_t k);

// The `k` best of `all`, best first, ties by lower item id.
std::vector<ItemScore> TopItemScores(std::vector<ItemScore> all, int32_t k);

}  // namespace recd

#endif  // RECD_MODELS_SPARSE_MATRIX_H_
