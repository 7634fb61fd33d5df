#include "train/stacked_fusion.h"

#include <Eigen/Cholesky>
#include <algorithm>
#include <cmath>

namespace recd {
namespace {

// log(1 + exp(-x)) without overflow for large |x|.
double LogisticLoss(double x) { return x > 0 ? std::log1p(std::exp(-x)) : -x + std::log1p(std::exp(x)); }

double Sigmoid(double x) { return x >= 0 ? 1.0 / (1.0 + std::exp(-x)) : std::exp(x) / (1.0 + std::exp(x)); }

double Objective(const Eigen::MatrixXd& diffs, const Eigen::VectorXd& offsets, const Eigen::VectorXd& theta,
                 double l2) {
  const Eigen::VectorXd margins = offsets + diffs * theta;
  double loss = 0.5 * l2 * theta.squaredNorm();
  for (Eigen::Index i = 0; i < margins.size(); ++i) loss += LogisticLoss(margins[i]);
  return loss;
}

}  // namespace

Eigen::VectorXd FitPairwiseLogistic(const Eigen::MatrixXd& diffs, const Eigen::VectorXd& offsets, double l2,
                                    int max_iterations) {
  const Eigen::Index n = diffs.cols();
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(n);
  double objective = Objective(diffs, offsets, theta, l2);
  for (int iteration = 0; iteration < max_iterations; ++iteration) {
    const Eigen::VectorXd margins = offsets + diffs * theta;
    Eigen::VectorXd miss(margins.size());   // d loss / d margin = -sigmoid(-margin)
    Eigen::VectorXd curve(margins.size());  // its derivative: s(1 - s)
    for (Eigen::Index i = 0; i < margins.size(); ++i) {
      const double s = Sigmoid(margins[i]);
      miss[i] = 1.0 - s;
      curve[i] = s * (1.0 - s);
    }
    const Eigen::VectorXd gradient = l2 * theta - diffs.transpose() * miss;
    Eigen::MatrixXd hessian = diffs.transpose() * curve.asDiagonal() * diffs;
    hessian.diagonal().array() += l2;
    const Eigen::VectorXd step = hessian.ldlt().solve(gradient);
    // Halve the step until the objective falls: Newton's full step can
    // overshoot while the margins are far from the optimum's.
    double scale = 1.0;
    Eigen::VectorXd next = theta - step;
    double next_objective = Objective(diffs, offsets, next, l2);
    while (next_objective > objective && scale > 1e-6) {
      scale /= 2;
      next = theta - scale * step;
      next_objective = Objective(diffs, offsets, next, l2);
    }
    if (next_objective > objective) break;
    const bool converged = objective - next_objective <= 1e-10 * std::max(1.0, objective);
    theta = next;
    objective = next_objective;
    if (converged) break;
  }
  return theta;
}

std::vector<double> BucketWeights(const StackingLayout& layout, std::span<const double> base,
                                  const Eigen::VectorXd& theta, int bucket) {
  std::vector<double> weights(static_cast<size_t>(layout.models), 0.0);
  double largest = 0;
  for (int m = 0; m < layout.models; ++m) {
    const double w = base[static_cast<size_t>(m)] + theta[layout.shared(m)] + theta[layout.in_bucket(m, bucket)];
    weights[static_cast<size_t>(m)] = std::max(0.0, w);
    largest = std::max(largest, weights[static_cast<size_t>(m)]);
  }
  if (largest <= 0) return std::vector<double>(weights.size(), 0.0);
  for (double& w : weights) w = std::round(w / largest * 1e4) / 1e4;
  return weights;
}

int HistoryBucket(std::span<const int64_t> upper_bounds, int64_t history_length) {
  for (size_t b = 0; b < upper_bounds.size(); ++b) {
    if (history_length <= upper_bounds[b]) return static_cast<int>(b);
  }
  return static_cast<int>(upper_bounds.size());
}

}  // namespace recd
