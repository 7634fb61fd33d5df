#include "train/stacked_fusion.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

// Rows drawn so that P(target beats the negative) = sigmoid(theta* . row):
// the fit must recover theta*.
Eigen::MatrixXd DrawRows(const Eigen::Vector2d& truth, int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> feature(0.0, 1.0);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  Eigen::MatrixXd rows(n, 2);
  for (int i = 0; i < n; ++i) {
    Eigen::Vector2d x(feature(rng), feature(rng));
    const double p = 1.0 / (1.0 + std::exp(-truth.dot(x)));
    // A pair the model gets "wrong" is the same pair seen from the other side.
    rows.row(i) = (coin(rng) < p ? x : Eigen::Vector2d(-x)).transpose();
  }
  return rows;
}

TEST(StackedFusionTest, PairwiseLogisticRecoversTheCoefficientsThatDrewTheData) {
  const Eigen::Vector2d truth(2.0, -1.0);
  const Eigen::MatrixXd rows = DrawRows(truth, 20000, 7);
  const Eigen::VectorXd theta = FitPairwiseLogistic(rows, Eigen::VectorXd::Zero(rows.rows()), 1e-3);
  EXPECT_NEAR(theta[0], truth[0], 0.15);
  EXPECT_NEAR(theta[1], truth[1], 0.1);
}

TEST(StackedFusionTest, AnOffsetThatIsAlreadyRightLeavesLittleToCorrect) {
  const Eigen::Vector2d truth(2.0, -1.0);
  const Eigen::MatrixXd rows = DrawRows(truth, 20000, 11);
  // The base blend is the truth: the correction stays near zero...
  const Eigen::VectorXd right = FitPairwiseLogistic(rows, rows * truth, 1e-3);
  EXPECT_LT(right.norm(), 0.15);
  // ...and a base at half strength is corrected by the other half.
  const Eigen::VectorXd half = FitPairwiseLogistic(rows, rows * (truth / 2), 1e-3);
  EXPECT_NEAR(half[0], 1.0, 0.15);
  EXPECT_NEAR(half[1], -0.5, 0.1);
}

TEST(StackedFusionTest, TheFitIsTheRegularisedOptimum) {
  const Eigen::MatrixXd rows = DrawRows(Eigen::Vector2d(1.0, 0.5), 2000, 3);
  const double l2 = 50.0;
  const Eigen::VectorXd theta = FitPairwiseLogistic(rows, Eigen::VectorXd::Zero(rows.rows()), l2);
  // Gradient of the objective: l2 theta - sum_rows sigmoid(-margin) row.
  Eigen::VectorXd gradient = l2 * theta;
  for (Eigen::Index i = 0; i < rows.rows(); ++i) {
    const double margin = rows.row(i).dot(theta);
    gradient -= rows.row(i).transpose() / (1.0 + std::exp(margin));
  }
  EXPECT_LT(gradient.norm(), 1e-6);
  // Regularisation pulls the coefficients towards zero.
  const Eigen::VectorXd loose = FitPairwiseLogistic(rows, Eigen::VectorXd::Zero(rows.rows()), 1e-3);
  EXPECT_LT(theta.norm(), loose.norm());
}

TEST(StackedFusionTest, BucketWeightsAddTheSharedPartClampAndScale) {
  const StackingLayout layout{2, 2};
  Eigen::VectorXd theta = Eigen::VectorXd::Zero(layout.features());
  theta[layout.shared(0)] = 1.0;
  theta[layout.shared(1)] = 0.5;
  theta[layout.in_bucket(0, 1)] = -2.0;  // model 0 is wrong for bucket 1
  theta[layout.in_bucket(1, 1)] = 1.5;
  const std::vector<double> none = {0.0, 0.0};
  EXPECT_EQ(BucketWeights(layout, none, theta, 0), (std::vector<double>{1.0, 0.5}));
  EXPECT_EQ(BucketWeights(layout, none, theta, 1), (std::vector<double>{0.0, 1.0}));
  // The base blend is added before clamping and scaling.
  EXPECT_EQ(BucketWeights(layout, std::vector<double>{1.0, 0.0}, theta, 0), (std::vector<double>{1.0, 0.25}));
  theta.setConstant(-1.0);
  EXPECT_EQ(BucketWeights(layout, none, theta, 0), (std::vector<double>{0.0, 0.0}));
}

TEST(StackedFusionTest, HistoryBucketsAreInclusiveUpperBoundsWithAnOpenLastOne) {
  const std::vector<int64_t> bounds = {2, 4};
  EXPECT_EQ(HistoryBucket(bounds, 0), 0);
  EXPECT_EQ(HistoryBucket(bounds, 2), 0);
  EXPECT_EQ(HistoryBucket(bounds, 3), 1);
  EXPECT_EQ(HistoryBucket(bounds, 4), 1);
  EXPECT_EQ(HistoryBucket(bounds, 5), 2);
  EXPECT_EQ(HistoryBucket(bounds, 1000), 2);
}

}  // namespace
}  // namespace recd
