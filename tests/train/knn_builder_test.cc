#include "train/knn_builder.h"

#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"

namespace recd {
namespace {

using testing_util::MakeSequences;

// Plain cosine over user co-occurrence: no shrinkage, no weighting.
KnnBuilderOptions PlainCosine() {
  KnnBuilderOptions o;
  o.shrinkage = 0.0f;
  o.inverse_user_frequency = false;
  o.distance_decay = 1.0f;
  o.backward_weight = 1.0f;
  return o;
}

TEST(KnnBuilderTest, SimilarityIsCosineOfCooccurrence) {
  // Item 0 in 3 histories, item 1 in 2 (both with 0), item 2 in 1 (with 0).
  const Dataset d = MakeSequences(3, {{0, 1}, {0, 1}, {0, 2}});
  auto m = BuildKnn(d, PlainCosine());
  ASSERT_TRUE(m.ok()) << m.status();
  const SparseRowMatrix& s = (*m)->similarities();
  EXPECT_FLOAT_EQ(s.coeff(0, 1), 2.0f / std::sqrt(6.0f));
  EXPECT_FLOAT_EQ(s.coeff(1, 0), 2.0f / std::sqrt(6.0f));
  EXPECT_FLOAT_EQ(s.coeff(0, 2), 1.0f / std::sqrt(3.0f));
  EXPECT_EQ(s.coeff(1, 2), 0.0f);
  EXPECT_EQ(s.coeff(0, 0), 0.0f);
}

TEST(KnnBuilderTest, ShrinkageAddsToDenominator) {
  const Dataset d = MakeSequences(3, {{0, 1}, {0, 1}, {0, 2}});
  KnnBuilderOptions o = PlainCosine();
  o.shrinkage = 1.0f;
  auto m = BuildKnn(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->similarities().coeff(0, 1), 2.0f / (std::sqrt(6.0f) + 1.0f));
}

TEST(KnnBuilderTest, BackwardWeightMakesSimilarityDirectional) {
  const Dataset d = MakeSequences(2, {{0, 1}});
  KnnBuilderOptions o = PlainCosine();
  o.backward_weight = 0.25f;
  auto m = BuildKnn(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->similarities().coeff(0, 1), 1.0f);   // 1 follows 0
  EXPECT_FLOAT_EQ((*m)->similarities().coeff(1, 0), 0.25f);  // 0 precedes 1
}

TEST(KnnBuilderTest, DistanceDecayWeakensFarPairs) {
  const Dataset d = MakeSequences(3, {{0, 1, 2}});
  KnnBuilderOptions o = PlainCosine();
  o.distance_decay = 0.5f;
  auto m = BuildKnn(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->similarities().coeff(0, 1), 1.0f);
  EXPECT_FLOAT_EQ((*m)->similarities().coeff(0, 2), 0.5f);
}

TEST(KnnBuilderTest, WindowDropsFarPairs) {
  const Dataset d = MakeSequences(3, {{0, 1, 2}});
  KnnBuilderOptions o = PlainCosine();
  o.window = 1;
  auto m = BuildKnn(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->similarities().coeff(0, 2), 0.0f);
  EXPECT_FLOAT_EQ((*m)->similarities().coeff(1, 2), 1.0f);
}

TEST(KnnBuilderTest, InverseUserFrequencyDownweightsLongHistories) {
  const Dataset d = MakeSequences(4, {{0, 1}, {0, 2, 3}});
  KnnBuilderOptions o = PlainCosine();
  o.inverse_user_frequency = true;
  auto m = BuildKnn(d, o);
  ASSERT_TRUE(m.ok());
  const double wa = 1.0 / std::log(3.0), wb = 1.0 / std::log(4.0);
  EXPECT_NEAR((*m)->similarities().coeff(0, 1), wa / std::sqrt((wa + wb) * wa), 1e-6);
  EXPECT_NEAR((*m)->similarities().coeff(0, 2), wb / std::sqrt((wa + wb) * wb), 1e-6);
}

TEST(KnnBuilderTest, KeepsTopKNeighbours) {
  const Dataset d = MakeSequences(4, {{0, 1}, {0, 1}, {0, 1}, {0, 2}, {0, 2}, {0, 3}});
  KnnBuilderOptions o = PlainCosine();
  o.top_k = 2;
  auto m = BuildKnn(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->similarities().row(0).nonZeros(), 2);
  const auto top = (*m)->TopNeighbours(0, 10);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0].item, 1);
  EXPECT_EQ(top[1].item, 2);
}

TEST(KnnBuilderTest, RecoversPlantedClusters) {
  // Users shop within one of two clusters: items 0-9 or items 10-19.
  std::mt19937 rng(11);
  std::uniform_int_distribution<int32_t> pick(0, 9);
  std::vector<std::vector<int32_t>> histories(400);
  for (size_t u = 0; u < histories.size(); ++u) {
    const int32_t base = u % 2 == 0 ? 0 : 10;
    for (int k = 0; k < 6; ++k) histories[u].push_back(base + pick(rng));
  }
  auto m = BuildKnn(MakeSequences(20, histories), KnnBuilderOptions{});
  ASSERT_TRUE(m.ok());
  for (int32_t i = 0; i < 20; ++i) {
    for (const ItemScore& n : (*m)->TopNeighbours(i, 5)) {
      EXPECT_EQ(n.item / 10, i / 10) << "item " << i << " neighbour " << n.item;
    }
  }
}

TEST(KnnBuilderTest, RejectsBadOptions) {
  KnnBuilderOptions o;
  o.top_k = 0;
  EXPECT_FALSE(BuildKnn(MakeSequences(2, {{0, 1}}), o).ok());
  o = KnnBuilderOptions{};
  o.alpha = 1.5f;
  EXPECT_FALSE(BuildKnn(MakeSequences(2, {{0, 1}}), o).ok());
}

}  // namespace
}  // namespace recd
