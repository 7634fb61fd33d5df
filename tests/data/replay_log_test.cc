#include "data/replay_log.h"

#include <string>
#include <vector>

#include "data/temp_file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Describe(const std::vector<ReplayEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events)
    out.push_back(e.user + ":" + e.item + "@" + std::to_string(e.timestamp));
  return out;
}

TEST(ReplayLogTest, InterleavesUsersByTimeAndKeepsEachUsersOrder) {
  auto events = ReadReplayLog(testing_util::WriteTempFile("log.csv",
                                                     "user_id,item_id,event,timestamp\n"
                                                     "a,i1,view,100\n"
                                                     "b,i2,cart,50\n"
                                                     "a,i3,purchase,100\n"
                                                     "b,i4,view,300\n"
                                                     "a,i5,view,200\n"));
  ASSERT_TRUE(events.ok()) << events.status();
  EXPECT_THAT(Describe(*events),
              ElementsAre("b:i2@50", "a:i1@100", "a:i3@100", "a:i5@200", "b:i4@300"));
  EXPECT_EQ((*events)[0].type, EventType::kCart);
  EXPECT_EQ((*events)[2].type, EventType::kPurchase);
}

TEST(ReplayLogTest, AMalformedLineFailsNamingFileAndLine) {
  const std::string path = testing_util::WriteTempFile(
      "log.csv", "user_id,item_id,event,timestamp\na,i1,view,100\nb,i2,teleport,50\n");
  auto events = ReadReplayLog(path);
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(events.status().message(), HasSubstr(path + ":3"));
}

TEST(ReplayLogTest, AMissingFileFailsNamingIt) {
  auto events = ReadReplayLog("/nonexistent/replay.csv");
  ASSERT_FALSE(events.ok());
  EXPECT_THAT(events.status().message(), HasSubstr("/nonexistent/replay.csv"));
}

}  // namespace
}  // namespace recd
