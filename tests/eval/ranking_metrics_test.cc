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

}  // namespace
}  // namespace recd
