#include "recd/evaluator.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(RankingMetricsTest, OneTargetPerUserGivesPrecisionHitsOverKAndRecallHr) {
  RankingMetrics m;
  m.Add(3);   // in the top 5, 10 and 20
  m.Add(7);   // in the top 10 and 20
  m.Add(40);  // nowhere
  m.Finish();
  EXPECT_EQ(m.users, 3);
  EXPECT_DOUBLE_EQ(m.hr10, 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(m.recall5, m.hr5);
  EXPECT_DOUBLE_EQ(m.recall10, m.hr10);
  EXPECT_DOUBLE_EQ(m.recall20, m.hr20);
  EXPECT_DOUBLE_EQ(m.precision5, (1.0 / 5) / 3);
  EXPECT_DOUBLE_EQ(m.precision10, (2.0 / 10) / 3);
  EXPECT_DOUBLE_EQ(m.precision20, (2.0 / 20) / 3);
  EXPECT_NEAR(m.f1_10, 2 * m.hr10 / 11, 1e-15);
  EXPECT_DOUBLE_EQ(m.mrr, (1.0 / 4 + 1.0 / 8 + 1.0 / 41) / 3);
}

TEST(RankingMetricsTest, TargetSetsAverageEachUsersFigures) {
  RankingMetrics m;
  const std::vector<int64_t> first = {3};
  const std::vector<int64_t> second = {0, 25};  // one of two targets in the top 10
  m.Add(first);
  m.Add(second);
  m.Add(std::vector<int64_t>{});  // no targets: not a user of the mean
  m.Finish();
  EXPECT_EQ(m.users, 2);
  EXPECT_DOUBLE_EQ(m.hr10, 1.0);  // each has a target in the top 10
  EXPECT_DOUBLE_EQ(m.precision10, 0.1);
  EXPECT_DOUBLE_EQ(m.recall10, (1.0 + 0.5) / 2);
  // F1 per user: 2/11, and 2 * 0.1 * 0.5 / 0.6 = 1/6; then the mean.
  EXPECT_NEAR(m.f1_10, (2.0 / 11 + 1.0 / 6) / 2, 1e-15);
  // The second user's NDCG@10: DCG 1 over the ideal 1 + 1/log2(3).
  EXPECT_NEAR(m.ndcg10, (1.0 / std::log2(5.0) + 1.0 / (1.0 + 1.0 / std::log2(3.0))) / 2, 1e-12);
  EXPECT_DOUBLE_EQ(m.mrr, (1.0 / 4 + 1.0) / 2);
}

}  // namespace
}  // namespace recd
