#include "models/sparse_matrix.h"

#include <algorithm>

namespace recd {
namespace {

bool Better(const ItemScore& a, const ItemScore& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

std::vector<ItemScore> TopOf(std::vector<ItemScore> all, int32_t k) {
  const size_t n = std::min(all.size(), static_cast<size_t>(std::max(k, 0)));
  std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), Better);
  all.resize(n);
  return all;
}

}  // namespace

std::vector<ItemScore> TopOfRow(const SparseRowMatrix& m, int32_t row, int32_t k) {
  std::vector<ItemScore> all;
  for (SparseRowMatrix::InnerIterator it(m, row); it; ++it) {
    all.push_back({static_cast<int32_t>(it.col()), it.value()});
  }
  return TopOf(std::move(all), k);
}

std::vector<ItemScore> TopOfVector(const std::vector<float>& scores, int32_t k) {
  std::vector<ItemScore> all(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) all[i] = {static_cast<int32_t>(i), scores[i]};
  return TopOf(std::move(all), k);
}

}  // namespace recd
