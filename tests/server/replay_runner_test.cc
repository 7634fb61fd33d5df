#include "server/replay_runner.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(RankOfItemTest, FindsTheItemsPositionOrNothing) {
  v1::RecommendResponse answer;
  for (const char* id : {"i7", "i3", "i9"}) answer.add_items()->set_item_id(id);
  EXPECT_EQ(RankOfItem(answer, "i7"), 0);
  EXPECT_EQ(RankOfItem(answer, "i9"), 2);
  EXPECT_EQ(RankOfItem(answer, "i4"), std::nullopt);
}

TEST(ReplayQualityTest, HitRateAndNdcgOverTheAnsweredAsks) {
  ReplayQuality q;
  q.Add(0, 1.0, false, false);             // hit at the top: gain 1
  q.Add(2, 2.0, true, false);              // hit at rank 3: gain 1 / log2(4) = 0.5
  q.Add(std::nullopt, 3.0, false, true);   // miss
  q.Add(std::nullopt, 4.0, false, false);  // miss
  EXPECT_EQ(q.asked, 4);
  EXPECT_EQ(q.hits, 2);
  EXPECT_EQ(q.degraded, 1);
  EXPECT_EQ(q.fallback, 1);
  EXPECT_DOUBLE_EQ(q.hit_rate(), 0.5);
  EXPECT_DOUBLE_EQ(q.ndcg(), 1.5 / 4);
  EXPECT_THAT(q.latencies_ms, ElementsAre(1.0, 2.0, 3.0, 4.0));
}

TEST(ReplayQualityTest, ScoreCarriesTheStandardErrors) {
  ReplayQuality q;
  q.Add(0, 1.0, false, false);
  q.Add(std::nullopt, 1.0, false, false);
  const ReplayScore s = q.score();
  EXPECT_EQ(s.asked, 2);
  EXPECT_EQ(s.hits, 1);
  EXPECT_DOUBLE_EQ(s.ndcg_sq_sum, 1.0);
  EXPECT_DOUBLE_EQ(s.hit_rate_se(), 0.5 / std::sqrt(2.0));
  EXPECT_DOUBLE_EQ(s.ndcg_se(), 0.5);  // sample SD of {1, 0} is sqrt(0.5); / sqrt(2)
}

TEST(ReplayQualityTest, NothingAskedIsZeroNotNaN) {
  ReplayQuality q;
  EXPECT_EQ(q.hit_rate(), 0);
  EXPECT_EQ(q.ndcg(), 0);
}

TEST(ValidateReplayOptionsTest, NamesTheFlagAtFault) {
  ReplayOptions o;
  EXPECT_TRUE(ValidateReplayOptions(o).ok());
  o.qps = 0;
  EXPECT_THAT(ValidateReplayOptions(o).message(), HasSubstr("--qps"));
  o = {};
  o.k = 0;
  EXPECT_THAT(ValidateReplayOptions(o).message(), HasSubstr("-k"));
  o = {};
  o.workers = 0;
  EXPECT_THAT(ValidateReplayOptions(o).message(), HasSubstr("--replay-workers"));
}

TEST(RunReplayTest, AnEmptyLogIsAnError) {
  EXPECT_EQ(RunReplay({}, ReplayOptions{}).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace recd
