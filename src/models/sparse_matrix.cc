#include "models/sparse_matrix.h"

#include <algorithm>

namespace recd {
namespace {

bool Better(const ItemScore& a, const ItemScore& b) {
  return a.score > b.score || (a.score == b.score && a.item < b.item);
}

}  // namespace

std::vector<ItemScore> TopItemScores(std::vector<ItemScore> all, int32_t k) {
  const size_t n = std::min(all.size(), static_cast<size_t>(std::max(k, 0)));
  // nth_element then a sort of the kept: linear in a catalog-sized input.
  const auto kept = all.begin() + static_cast<std::ptrdiff_t>(n);
  if (n < all.size()) std::nth_element(all.begin(), kept, all.end(), Better);
  std::sort(all.begin(), kept, Better);
  all.resize(n);
  return all;
}

std::vector<ItemScore> TopOfRow(const SparseRowMatrix& m, int32_t row, int32_t k) {
  std::vector<ItemScore> all;
  for (SparseRowMatrix::InnerIterator it(m, row); it; ++it) {
    all.push_back({static_cast<int32_t>(it.col()), it.value()});
  }
  return TopItemScores(std::move(all), k);
}

std::vector<ItemScore> TopOfVector(std::span<const float> scores, int32_t k) {
  std::vector<ItemScore> all(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) all[i] = {static_cast<int32_t>(i), scores[i]};
  return TopItemScores(std::move(all), k);
}

}  // namespace recd
