#include "ranking/item_similarity.h"

#include <vector>

#include "gtest/gtest.h"
#include "models/knn_scorer.h"
#include "models/mf_scorer.h"
#include "test_util/fake_scorer.h"

namespace recd {
namespace {

std::shared_ptr<const ModelBundle> Bundle(std::vector<std::unique_ptr<Scorer>> scorers, int n) {
  IdMap items;
  for (int i = 0; i < n; ++i) items.GetOrAdd("i" + std::to_string(i));
  return ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
}

// 4 items; item 3 is a neighbour of item 1 only.
std::unique_ptr<Scorer> Knn() {
  SparseRowMatrix s(4, 4);
  s.insert(1, 3) = 0.9f;
  s.insert(3, 1) = 0.9f;
  s.insert(0, 2) = 0.2f;
  s.insert(2, 0) = 0.2f;
  s.makeCompressed();
  return std::make_unique<KnnScorer>(std::move(s), std::vector<float>(4, 0.0f), KnnScoring{});
}

std::vector<Event> History(std::vector<int32_t> items) {
  std::vector<Event> h;
  for (int32_t i : items) h.push_back({i, EventType::kView, 0});
  return h;
}

TEST(ItemSimilarityTest, NullWithoutAnItemItemOrEmbeddingModel) {
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("m", std::vector<float>{1, 2}));
  EXPECT_EQ(ItemSimilarity::ForBundle(*Bundle(std::move(scorers), 2)), nullptr);
}

TEST(ItemSimilarityTest, KnnNamesTheNeighbourInTheHistory) {
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(Knn());
  const auto bundle = Bundle(std::move(scorers), 4);
  const auto similarity = ItemSimilarity::ForBundle(*bundle);
  ASSERT_NE(similarity, nullptr);
  const auto history = History({0, 1, 2});
  EXPECT_EQ(similarity->MostSimilar(3, history), 1);
  EXPECT_EQ(similarity->MostSimilar(0, history), 2);
  // No history item is a neighbour of item 1.
  EXPECT_EQ(similarity->MostSimilar(1, History({0, 2})), -1);
}

TEST(ItemSimilarityTest, MfFactorsGiveCosineWithoutKnn) {
  RowMatrixXf factors(3, 2);
  factors << 1, 0,  //
      0.9f, 0.1f,   //
      0, 1;
  auto mf = MfScorer::Create(factors, MfFoldIn{});
  ASSERT_TRUE(mf.ok()) << mf.status();
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(*std::move(mf));
  const auto bundle = Bundle(std::move(scorers), 3);
  const auto similarity = ItemSimilarity::ForBundle(*bundle);
  ASSERT_NE(similarity, nullptr);
  EXPECT_NEAR(similarity->Similarity(0, 0), 1.0f, 1e-6);
  EXPECT_NEAR(similarity->Similarity(0, 2), 0.0f, 1e-6);
  EXPECT_EQ(similarity->MostSimilar(1, History({2, 0})), 1);
}

}  // namespace
}  // namespace recd
