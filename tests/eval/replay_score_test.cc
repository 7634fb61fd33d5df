#include "eval/replay_score.h"

#include <cmath>
#include <fstream>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

TEST(ReplayScoreTest, RatesAndStandardErrors) {
  ReplayScore s;
  for (std::optional<int> rank :
       {std::optional<int>(0), std::optional<int>(), std::optional<int>(1), std::optional<int>()}) {
    s.Add(rank);
  }
  EXPECT_EQ(s.asked, 4);
  EXPECT_EQ(s.hits, 2);
  EXPECT_DOUBLE_EQ(s.hit_rate(), 0.5);
  EXPECT_NEAR(s.hit_rate_se(), std::sqrt(0.5 * 0.5 / 4), 1e-12);
  EXPECT_NEAR(s.ndcg(), (1 + 1 / std::log2(3.0)) / 4, 1e-12);
  // Sample SD of {1, 0, 1/log2(3), 0} over sqrt(4), worked out by hand.
  EXPECT_NEAR(s.ndcg_se(), 0.24716549595, 1e-9);
}

TEST(ReplayScoreTest, NothingAskedIsZeroNotNaN) {
  ReplayScore s;
  EXPECT_EQ(s.hit_rate(), 0);
  EXPECT_EQ(s.hit_rate_se(), 0);
  EXPECT_EQ(s.ndcg(), 0);
  EXPECT_EQ(s.ndcg_se(), 0);
  s.Add(3);
  EXPECT_EQ(s.ndcg_se(), 0);  // one ask: no sample variance
}

TEST(ReplayScoreTest, AllHitsAtOneRankHaveNoSpread) {
  ReplayScore s;
  for (int i = 0; i < 5; ++i) s.Add(2);
  EXPECT_EQ(s.hit_rate_se(), 0);
  EXPECT_NEAR(s.ndcg_se(), 0, 1e-12);
}

TEST(WriteReplayOutcomesTest, OneLinePerEventInLogOrder) {
  const std::string path = ::testing::TempDir() + "/replay_outcomes.tsv";
  const std::vector<ReplayEvent> log{{"u1", "a", EventType::kView, 1},
                                     {"u2", "b", EventType::kCart, 2},
                                     {"u1", "c", EventType::kView, 3}};
  const std::vector<ReplayOutcome> outcomes{
      {"control", true, 3}, {"cooccur", true, std::nullopt}, {"", false, {}}};
  ASSERT_TRUE(WriteReplayOutcomes(path, log, outcomes).ok());
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  EXPECT_EQ(text.str(), "u1\ta\tcontrol\t3\nu2\tb\tcooccur\t-1\nu1\tc\t\terror\n");
}

TEST(WriteReplayOutcomesTest, AnUnwritablePathIsAnErrorNamingIt) {
  const absl::Status s = WriteReplayOutcomes("/nonexistent/dir/out.tsv", {}, {});
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("/nonexistent/dir/out.tsv"));
}

}  // namespace
}  // namespace recd
