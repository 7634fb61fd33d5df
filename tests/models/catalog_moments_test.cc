#include "models/catalog_moments.h"

#include <cmath>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

ScoreMoments MomentsOf(const std::vector<double>& scores) {
  double sum = 0, sum_sq = 0;
  for (double s : scores) {
    sum += s;
    sum_sq += s * s;
  }
  return MomentsFromSums(static_cast<int64_t>(scores.size()), sum, sum_sq);
}

TEST(CatalogMomentsTest, EmbeddingMomentsEqualTheMomentsOfEveryScore) {
  std::mt19937 rng(3);
  std::normal_distribution<float> normal(0.5f, 1.0f);
  const int64_t rows = 5000, dim = 8;  // more rows than one block
  std::vector<float> items(static_cast<size_t>(rows * dim)), bias(static_cast<size_t>(rows)), query(dim);
  for (float& x : items) x = normal(rng);
  for (float& x : bias) x = normal(rng);
  for (float& x : query) x = normal(rng);
  for (bool with_bias : {false, true}) {
    ItemEmbeddings e{items.data(), rows, dim, with_bias ? std::span<const float>(bias) : std::span<const float>()};
    std::vector<double> scores;
    for (int64_t i = 0; i < rows; ++i) {
      double s = with_bias ? bias[static_cast<size_t>(i)] : 0.0;
      for (int64_t c = 0; c < dim; ++c) s += static_cast<double>(items[static_cast<size_t>(i * dim + c)]) * query[c];
      scores.push_back(s);
    }
    const ScoreMoments want = MomentsOf(scores);
    const ScoreMoments got = EmbeddingMoments::Of(e).For(query);
    EXPECT_NEAR(got.mean, want.mean, 1e-6 * want.sd) << with_bias;
    EXPECT_NEAR(got.sd, want.sd, 1e-6 * want.sd) << with_bias;
  }
}

TEST(CatalogMomentsTest, SparseOverPriorEqualsTheDenseScores) {
  const std::vector<float> prior = {0.5f, 1.0f, 0.0f, 0.25f, 2.0f};
  const std::vector<int32_t> items = {1, 3};
  const std::vector<float> values = {3.0f, -1.0f};
  for (float w : {0.0f, 0.1f}) {
    std::vector<double> dense;
    for (size_t i = 0; i < prior.size(); ++i) dense.push_back(static_cast<double>(w) * prior[i]);
    dense[1] += 3.0;
    dense[3] -= 1.0;
    const ScoreMoments want = MomentsOf(dense);
    const ScoreMoments got = SparseOverPriorMoments(DenseSums::Of(prior), prior, w, items, values);
    EXPECT_NEAR(got.mean, want.mean, 1e-9) << w;
    EXPECT_NEAR(got.sd, want.sd, 1e-9) << w;
  }
}

TEST(CatalogMomentsTest, EqualScoresHaveNoSpread) {
  const std::vector<float> same(10, 3.0f);
  const ScoreMoments m = DenseSums::Of(same).Moments();
  EXPECT_DOUBLE_EQ(m.mean, 3.0);
  EXPECT_NEAR(m.sd, 0.0, 1e-7);
  EXPECT_DOUBLE_EQ(MomentsFromSums(0, 0, 0).sd, 0.0);
}

}  // namespace
}  // namespace recd
