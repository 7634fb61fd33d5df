#include "recd/ranking_metrics.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(RankOfTargetTest, CountsItemsScoredAboveTarget) {
  std::vector<float> scores = {0.1f, 0.9f, 0.5f, 0.7f};
  EXPECT_EQ(RankOfTarget(scores, 2, {}), 2);  // 0.9 and 0.7 beat 0.5
  EXPECT_EQ(RankOfTarget(scores, 1, {}), 0);
}

TEST(RankOfTargetTest, ExcludedItemsAreNotRanked) {
  std::vector<float> scores = {0.1f, 0.9f, 0.5f, 0.7f};
  std::vector<int32_t> history = {1, 1, 0};
  EXPECT_EQ(RankOfTarget(scores, 2, history), 1);
}

TEST(RankOfTargetTest, TiesCountAgainstTarget) {
  std::vector<float> scores(10, 1.0f);
  EXPECT_EQ(RankOfTarget(scores, 4, {}), 9);
}

TEST(NdcgTest, MatchesHandComputedValues) {
  EXPECT_DOUBLE_EQ(NdcgAt(0, 10), 1.0);
  EXPECT_NEAR(NdcgAt(1, 10), 1.0 / std::log2(3.0), 1e-12);
  EXPECT_NEAR(NdcgAt(9, 10), 1.0 / std::log2(11.0), 1e-12);
  EXPECT_EQ(NdcgAt(10, 10), 0.0);
  EXPECT_EQ(HitAt(4, 5), 1.0);
  EXPECT_EQ(HitAt(5, 5), 0.0);
  EXPECT_DOUBLE_EQ(ReciprocalRank(3), 0.25);
}

// Leave-one-out: one target, so precision@k = hit / k, recall@k = hit and
// F1@k = 2 hit / (k + 1).
TEST(SetMetricsTest, OneTargetMatchesHandComputedValues) {
  const std::vector<int64_t> rank3 = {3};
  EXPECT_EQ(HitsAt(rank3, 10), 1);
  EXPECT_DOUBLE_EQ(PrecisionAt(rank3, 10), 0.1);
  EXPECT_DOUBLE_EQ(RecallAt(rank3, 10), 1.0);
  EXPECT_DOUBLE_EQ(F1At(rank3, 10), 2.0 / 11.0);
  EXPECT_DOUBLE_EQ(NdcgAt(std::span<const int64_t>(rank3), 10), 1.0 / std::log2(5.0));
  EXPECT_DOUBLE_EQ(PrecisionAt(rank3, 3), 0.0);  // 0-based rank 3 is the 4th place
  EXPECT_DOUBLE_EQ(RecallAt(rank3, 3), 0.0);
  EXPECT_DOUBLE_EQ(F1At(rank3, 3), 0.0);
}

// Targets at places 1, 4 and 13 (0-based ranks 0, 3, 12).
TEST(SetMetricsTest, TargetSetMatchesHandComputedValues) {
  const std::vector<int64_t> ranks = {0, 3, 12};
  EXPECT_EQ(HitsAt(ranks, 5), 2);
  EXPECT_DOUBLE_EQ(PrecisionAt(ranks, 5), 0.4);       // 2 / 5
  EXPECT_DOUBLE_EQ(RecallAt(ranks, 5), 2.0 / 3.0);    // 2 of 3 targets
  EXPECT_DOUBLE_EQ(F1At(ranks, 5), 0.5);              // 2 * 0.4 * 2/3 / (0.4 + 2/3)
  EXPECT_DOUBLE_EQ(PrecisionAt(ranks, 10), 0.2);
  EXPECT_DOUBLE_EQ(F1At(ranks, 10), 4.0 / 13.0);      // 2 * 1/5 * 2/3 / (1/5 + 2/3)
  EXPECT_DOUBLE_EQ(PrecisionAt(ranks, 20), 0.15);     // 3 / 20
  EXPECT_DOUBLE_EQ(RecallAt(ranks, 20), 1.0);
  // DCG 1 + 1/log2(5) over the ideal 1 + 1/log2(3) + 1/log2(4).
  EXPECT_NEAR(NdcgAt(std::span<const int64_t>(ranks), 10),
              (1.0 + 1.0 / std::log2(5.0)) / (1.0 + 1.0 / std::log2(3.0) + 0.5), 1e-12);
  // All three in the top 20: the ideal list.
  const std::vector<int64_t> ideal = {2, 0, 1};
  EXPECT_DOUBLE_EQ(NdcgAt(std::span<const int64_t>(ideal), 20), 1.0);
}

TEST(SetMetricsTest, NoTargetsScoresZero) {
  const std::vector<int64_t> none;
  EXPECT_EQ(RecallAt(none, 10), 0.0);
  EXPECT_EQ(F1At(none, 10), 0.0);
  EXPECT_EQ(NdcgAt(std::span<const int64_t>(none), 10), 0.0);
}

}  // namespace
}  // namespace recd
