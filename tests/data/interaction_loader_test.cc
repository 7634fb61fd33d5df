// LoadInteractions: the CSV event log.

#include <numeric>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "data/temp_file.h"
#include "recd/data_loaders.h"

namespace recd {
namespace {

using ::recd::testing_util::WriteTempFile;
using ::testing::HasSubstr;

std::string ErrorMessage(const absl::Status& s) { return std::string(s.message()); }

TEST(InteractionLoaderTest, LoadsEventsWithDenseIdsInFirstSeenOrder) {
  auto path = WriteTempFile("events.csv",
                            "user_id,item_id,event,timestamp\n"
                            "u1,i1,view,100\n"
                            "u2,i2,cart,101\n"
                            "u1,i2,purchase,102\n");
  LoadReport report;
  auto data = LoadInteractions(path, {}, &report);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->num_users(), 2);
  EXPECT_EQ(data->num_items(), 2);
  EXPECT_EQ(data->item_info.size(), 2u);
  EXPECT_EQ(data->users.Name(0), "u1");
  ASSERT_EQ(data->histories[0].size(), 2u);
  EXPECT_EQ(data->histories[0][1].item, *data->items.Find("i2"));
  EXPECT_EQ(data->histories[0][1].type, EventType::kPurchase);
  EXPECT_EQ(data->histories[1][0].type, EventType::kCart);
  EXPECT_EQ(report.lines, 3);
  EXPECT_EQ(report.loaded, 3);
  EXPECT_EQ(report.total_skipped(), 0);
}

TEST(InteractionLoaderTest, ProgressReportsEveryByteOfTheFile) {
  std::string content = "user_id,item_id,event,timestamp\n";
  for (int i = 0; i < 20000; ++i) {
    content += "u" + std::to_string(i % 97) + ",i" + std::to_string(i % 13) + ",view," + std::to_string(i) + "\n";
  }
  const std::string path = WriteTempFile("events.csv", content);
  LoadOptions options;
  std::vector<int64_t> calls;
  options.on_bytes = [&calls](int64_t bytes) { calls.push_back(bytes); };
  Dataset data;
  ASSERT_TRUE(LoadInteractions(path, options, &data, nullptr).ok());
  // Every kProgressLines lines (20,001 lines: two calls), then the rest.
  EXPECT_EQ(calls.size(), 3u);
  EXPECT_EQ(std::accumulate(calls.begin(), calls.end(), int64_t{0}), static_cast<int64_t>(content.size()));
}

TEST(InteractionLoaderTest, AcceptsColumnsInAnyOrderAndEventsInAnyCase) {
  auto path = WriteTempFile("events.csv",
                            "timestamp,event,item_id,user_id\n"
                            "100,VIEW,i1,u1\n"
                            "101,Purchase,i1,u1\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_TRUE(data.ok()) << data.status();
  ASSERT_EQ(data->histories[0].size(), 2u);
  EXPECT_EQ(data->items.Name(data->histories[0][0].item), "i1");
  EXPECT_EQ(data->histories[0][0].timestamp, 100);
  EXPECT_EQ(data->histories[0][1].type, EventType::kPurchase);
}

TEST(InteractionLoaderTest, SortsHistoriesByTimestampStably) {
  auto path = WriteTempFile("events.csv",
                            "user_id,item_id,event,timestamp\n"
                            "u1,c,view,300\n"
                            "u1,a,view,100\n"
                            "u1,b1,view,200\n"
                            "u1,b2,cart,200\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_TRUE(data.ok()) << data.status();
  std::vector<std::string> order;
  for (const Event& e : data->histories[0]) order.push_back(data->items.Name(e.item));
  EXPECT_THAT(order, ::testing::ElementsAre("a", "b1", "b2", "c"));
}

TEST(InteractionLoaderTest, ParsesIsoTimestamps) {
  auto path = WriteTempFile("events.csv",
                            "user_id,item_id,event,timestamp\n"
                            "u1,i1,view,2024-05-01T12:00:00Z\n"
                            "u1,i2,view,1714564801\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->histories[0][0].timestamp, 1714564800);
  EXPECT_EQ(data->histories[0][1].timestamp, 1714564801);
}

TEST(InteractionLoaderTest, UnquotesFieldsWithCommas) {
  auto path = WriteTempFile("events.csv",
                            "user_id,item_id,event,timestamp\n"
                            "\"u,1\",\"sku \"\"7\"\"\",view,\"100\"\r\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->users.Name(0), "u,1");
  EXPECT_EQ(data->items.Name(0), "sku \"7\"");
}

TEST(InteractionLoaderTest, SharesItemIdsWithACatalogLoadedBefore) {
  Dataset data;
  data.items.GetOrAdd("i9");
  data.items.GetOrAdd("i1");
  data.item_info.resize(2);
  data.item_info[1].title = "kept";
  auto path = WriteTempFile("events.csv",
                            "user_id,item_id,event,timestamp\n"
                            "u1,i1,view,1\n"
                            "u1,new,view,2\n");
  ASSERT_TRUE(LoadInteractions(path, {}, &data, nullptr).ok());
  EXPECT_EQ(data.histories[0][0].item, 1);
  EXPECT_EQ(data.histories[0][1].item, 2);
  EXPECT_EQ(data.item_info.size(), 3u);
  EXPECT_EQ(data.item_info[1].title, "kept");
}

TEST(InteractionLoaderTest, UnknownColumnNamesFileLineAndColumn) {
  auto path = WriteTempFile("events.csv", "user_id,item_id,event,when\nu,i,view,1\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(ErrorMessage(data.status()), HasSubstr(path + ":1: unknown column 'when'"));
}

TEST(InteractionLoaderTest, MissingColumnNamesFileLineAndColumn) {
  auto path = WriteTempFile("events.csv", "user_id,item_id,event\nu,i,view\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(ErrorMessage(data.status()), HasSubstr(path + ":1: missing column 'timestamp'"));
}

TEST(InteractionLoaderTest, DuplicateColumnIsAnError) {
  auto path = WriteTempFile("events.csv", "user_id,item_id,event,event\nu,i,view,view\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(ErrorMessage(data.status()), HasSubstr(":1: duplicate column 'event'"));
}

TEST(InteractionLoaderTest, EmptyFileNamesTheFile) {
  auto path = WriteTempFile("events.csv", "");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(ErrorMessage(data.status()), HasSubstr(path + ": empty file"));
}

TEST(InteractionLoaderTest, HeaderOnlyFileIsAnError) {
  auto path = WriteTempFile("events.csv", "user_id,item_id,event,timestamp\n");
  auto data = LoadInteractions(path, {}, nullptr);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(ErrorMessage(data.status()), HasSubstr("no events loaded"));
}

TEST(InteractionLoaderTest, MissingFileIsNotFound) {
  auto data = LoadInteractions("/nonexistent/events.csv", {}, nullptr);
  EXPECT_EQ(data.status().code(), absl::StatusCode::kNotFound);
}

// Each bad line in strict mode fails with "file:line: reason".
struct BadLineCase {
  std::string line;
  std::string reason;
};

class StrictBadLineTest : public ::testing::TestWithParam<BadLineCase> {};

TEST_P(StrictBadLineTest, FailsNamingFileLineAndReason) {
  auto path = WriteTempFile("events.csv", "user_id,item_id,event,timestamp\n"
                                          "u1,i1,view,1\n" +
                                              GetParam().line + "\n");
  LoadOptions options;
  options.strict = true;
  auto data = LoadInteractions(path, options, nullptr);
  ASSERT_FALSE(data.ok());
  EXPECT_THAT(ErrorMessage(data.status()), HasSubstr(path + ":3: " + GetParam().reason));
}

INSTANTIATE_TEST_SUITE_P(
    Reasons, StrictBadLineTest,
    ::testing::Values(BadLineCase{"u1,i1,view", "wrong field count (3, expected 4)"},
                      BadLineCase{"u1,i1,view,1,extra", "wrong field count"},
                      BadLineCase{"u1,i1,click,1", "unknown event 'click'"},
                      BadLineCase{"u1,i1,view,yesterday", "bad timestamp 'yesterday'"},
                      BadLineCase{",i1,view,1", "empty user_id"},
                      BadLineCase{"u1, ,view,1", "empty item_id"},
                      BadLineCase{"u1,\"i1,view,1", "unterminated quote"}));

TEST(InteractionLoaderTest, NonStrictSkipsBadLinesAndCountsThemByReason) {
  auto path = WriteTempFile("events.csv",
                            "user_id,item_id,event,timestamp\n"
                            "u1,i1,view,1\n"
                            "u1,i1,click,2\n"
                            "u1,i1,view,abc\n"
                            "u1,i1,view,2024-99-01T00:00:00Z\n"
                            "u1,i1\n"
                            "\n"
                            ",i1,view,3\n"
                            "u2,i2,cart,4\n");
  LoadReport report;
  auto data = LoadInteractions(path, {}, &report);
  ASSERT_TRUE(data.ok()) << data.status();
  EXPECT_EQ(data->num_events(), 2);
  EXPECT_EQ(report.lines, 7);  // the blank line is not a record
  EXPECT_EQ(report.loaded, 2);
  EXPECT_EQ(report.total_skipped(), 5);
  EXPECT_EQ(report.skipped["unknown event"], 1);
  EXPECT_EQ(report.skipped["bad timestamp"], 2);
  EXPECT_EQ(report.skipped["wrong field count"], 1);
  EXPECT_EQ(report.skipped["empty user_id"], 1);
  ASSERT_FALSE(report.examples.empty());
  EXPECT_EQ(report.examples[0], path + ":3: unknown event");
}

TEST(InteractionLoaderTest, AllLinesBadIsAnErrorEvenWhenNotStrict) {
  auto path = WriteTempFile("events.csv", "user_id,item_id,event,timestamp\nu1,i1,zap,1\n");
  LoadReport report;
  auto data = LoadInteractions(path, {}, &report);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(report.skipped["unknown event"], 1);
}

TEST(InteractionLoaderTest, EventTypeNamesRoundTrip) {
  for (EventType t : {EventType::kView, EventType::kCart, EventType::kPurchase}) {
    EXPECT_EQ(ParseEventType(EventTypeName(t)), t);
  }
  EXPECT_FALSE(ParseEventType("buy").has_value());
}

}  // namespace
}  // namespace recd
