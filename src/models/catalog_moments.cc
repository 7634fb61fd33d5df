#include "models/catalog_moments.h"

#include <algorithm>
#include <cmath>

namespace recd {

DenseSums DenseSums::Of(std::span<const float> values) {
  DenseSums s;
  s.n = static_cast<int64_t>(values.size());
  for (float v : values) {
    s.sum += v;
    s.sum_sq += static_cast<double>(v) * v;
  }
  return s;
}

ScoreMoments DenseSums::Moments() const { return MomentsFromSums(n, sum, sum_sq); }

ScoreMoments MomentsFromSums(int64_t n, double sum, double sum_sq) {
  if (n <= 0) return {};
  const double mean = sum / static_cast<double>(n);
  const double var = std::max(0.0, sum_sq / static_cast<double>(n) - mean * mean);
  return {mean, std::sqrt(var)};
}

ScoreMoments SparseOverPriorMoments(const DenseSums& prior_sums, std::span<const float> prior,
                                    float prior_weight, std::span<const int32_t> items,
                                    std::span<const float> values) {
  const double w = prior_weight;
  // sum_i (w p_i + s_i)^2 = w^2 sum p^2 + sum over the sparse items of
  // (2 w p_i s_i + s_i^2): only they differ from the prior alone.
  double sum = w * prior_sums.sum;
  double sum_sq = w * w * prior_sums.sum_sq;
  for (size_t k = 0; k < items.size(); ++k) {
    const double s = values[k];
    const double p = w == 0.0 ? 0.0 : w * prior[static_cast<size_t>(items[k])];
    sum += s;
    sum_sq += 2.0 * p * s + s * s;
  }
  return MomentsFromSums(prior_sums.n, sum, sum_sq);
}

EmbeddingMoments EmbeddingMoments::Of(const ItemEmbeddings& e) {
  const Eigen::Index cols = e.dim + 1;
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(cols);
  Eigen::MatrixXd gram = Eigen::MatrixXd::Zero(cols, cols);
  // Blocks bound the double copy's memory on a 1M-item table.
  constexpr int64_t kBlock = 4096;
  Eigen::MatrixXd block;
  for (int64_t start = 0; start < e.rows; start += kBlock) {
    const int64_t n = std::min(kBlock, e.rows - start);
    block.resize(n, cols);
    for (int64_t r = 0; r < n; ++r) {
      const float* row = e.items + (start + r) * e.dim;
      for (int64_t c = 0; c < e.dim; ++c) block(r, c) = row[c];
      block(r, e.dim) = e.bias.empty() ? 0.0 : e.bias[static_cast<size_t>(start + r)];
    }
    sum += block.colwise().sum().transpose();
    gram.noalias() += block.transpose() * block;
  }
  EmbeddingMoments m;
  const double n = static_cast<double>(std::max<int64_t>(e.rows, 1));
  m.mean_ = sum / n;
  m.cov_ = gram / n - m.mean_ * m.mean_.transpose();
  return m;
}

ScoreMoments EmbeddingMoments::For(std::span<const float> query) const {
  // The score is [query, 1] . [row, bias]: its mean and variance follow from
  // the rows' mean and covariance.
  Eigen::VectorXd q(mean_.size());
  for (size_t c = 0; c < query.size(); ++c) q[static_cast<Eigen::Index>(c)] = query[c];
  q[q.size() - 1] = 1.0;
  const double var = std::max(0.0, q.dot(cov_ * q));
  return {q.dot(mean_), std::sqrt(var)};
}

}  // namespace recd
