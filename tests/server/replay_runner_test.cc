#include "server/replay_runner.h"

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

class ReplayLogTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& text) {
    const auto path = std::filesystem::temp_directory_path() /
                      ("recd_replay_" + std::to_string(getpid()) + "_" +
                       ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".csv");
    std::ofstream(path) << text;
    paths_.push_back(path);
    return path.string();
  }
  void TearDown() override {
    for (const auto& p : paths_) std::filesystem::remove(p);
  }
  std::vector<std::filesystem::path> paths_;
};

std::vector<std::string> Describe(const std::vector<ReplayEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.user + ":" + e.item + "@" + std::to_string(e.timestamp));
  return out;
}

TEST_F(ReplayLogTest, InterleavesUsersByTimeAndKeepsEachUsersOrder) {
  auto events = ReadReplayLog(Write("user_id,item_id,event,timestamp\n"
                                    "a,i1,view,100\n"
                                    "b,i2,cart,50\n"
                                    "a,i3,purchase,100\n"
                                    "b,i4,view,300\n"
                                    "a,i5,view,200\n"));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(Describe(*events), ElementsAre("b:i2@50", "a:i1@100", "a:i3@100", "a:i5@200", "b:i4@300"));
  EXPECT_EQ((*events)[0].type, EventType::kCart);
  EXPECT_EQ((*events)[2].type, EventType::kPurchase);
}

TEST_F(ReplayLogTest, AMalformedLineFailsNamingFileAndLine) {
  const std::string path = Write("user_id,item_id,event,timestamp\na,i1,view,100\nb,i2,teleport,50\n");
  auto events = ReadReplayLog(path);
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(events.status().message(), HasSubstr(path + ":3"));
}

TEST_F(ReplayLogTest, AMissingFileFailsNamingIt) {
  auto events = ReadReplayLog("/nonexistent/replay.csv");
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(events.status().message(), HasSubstr("/nonexistent/replay.csv"));
}

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
