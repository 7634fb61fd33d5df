#include "server/server_metrics.h"

#include <map>
#include <string>

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(LatencyHistogramTest, QuantilesBoundTheRecordedValues) {
  LatencyHistogram h;
  for (int i = 0; i < 99; ++i) h.Record(absl::Microseconds(500));
  h.Record(absl::Milliseconds(40));
  EXPECT_EQ(h.count(), 100);
  const double p50 = h.QuantileMs(0.5);
  EXPECT_GE(p50, 0.5);
  EXPECT_LT(p50, 0.5 * 1.3 + 1e-9);
  EXPECT_GE(h.QuantileMs(1.0), 40.0);
  EXPECT_LT(h.QuantileMs(0.99), 1.0);
}

TEST(LatencyHistogramTest, EmptyHistogramReportsZero) {
  EXPECT_EQ(LatencyHistogram().QuantileMs(0.99), 0.0);
}

TEST(ServerMetricsTest, CountsRequestsAndErrorsByKey) {
  ServerMetrics m;
  m.CountRequest("RecommendItems");
  m.CountRequest("RecommendItems");
  m.CountError("RecommendItems", "INVALID_ARGUMENT");
  EXPECT_EQ(m.Requests().at("RecommendItems"), 2);
  EXPECT_EQ(m.Errors().at("RecommendItems/INVALID_ARGUMENT"), 1);
  m.Model("mf").calls++;
  EXPECT_EQ(m.Model("mf").calls.load(), 1);
}

TEST(LatencyHistogramTest, ExportIsCumulativeWithSumInSeconds) {
  LatencyHistogram h;
  h.Record(absl::Microseconds(5));     // the first bucket (<= 10 us)
  h.Record(absl::Milliseconds(1));
  h.Record(absl::Milliseconds(1));
  h.Record(absl::Seconds(1000));       // beyond every bound: only +Inf
  const LatencyHistogram::Export e = h.Exported();
  ASSERT_EQ(e.upper_seconds.size(), e.cumulative.size());
  ASSERT_EQ(e.upper_seconds.size(), 16u);
  EXPECT_DOUBLE_EQ(e.upper_seconds.front(), 1e-5);
  EXPECT_EQ(e.count, 4);
  EXPECT_NEAR(e.sum_seconds, 1000.002005, 1e-9);
  for (size_t i = 1; i < e.cumulative.size(); ++i) {
    EXPECT_GT(e.upper_seconds[i], e.upper_seconds[i - 1]);
    EXPECT_GE(e.cumulative[i], e.cumulative[i - 1]);
  }
  EXPECT_EQ(e.cumulative.front(), 1);
  EXPECT_EQ(e.cumulative.back(), 3);  // the 1000 s one is not under the last bound
  for (size_t i = 0; i < e.upper_seconds.size(); ++i) {
    EXPECT_EQ(e.cumulative[i], e.upper_seconds[i] < 1e-3 ? 1 : 3) << e.upper_seconds[i];
  }
}

TEST(LatencyHistogramTest, NegativeDurationCountsAsZero) {
  LatencyHistogram h;
  h.Record(absl::Milliseconds(-5));
  const LatencyHistogram::Export e = h.Exported();
  EXPECT_EQ(e.count, 1);
  EXPECT_EQ(e.cumulative.front(), 1);
  EXPECT_EQ(e.sum_seconds, 0);
}

TEST(ServerMetricsTest, FinishedCallsAreKeptByMethodAndCode) {
  ServerMetrics m;
  m.CountFinished("RecommendItems", "OK", absl::Milliseconds(2));
  m.CountFinished("RecommendItems", "OK", absl::Milliseconds(4));
  m.CountFinished("RecordEvents", "RESOURCE_EXHAUSTED", absl::Milliseconds(1));
  std::map<std::string, int64_t> seen;
  m.ForEachFinished([&](std::string_view method, std::string_view code, const LatencyHistogram& h) {
    seen[std::string(method) + " " + std::string(code)] = h.count();
  });
  EXPECT_EQ(seen, (std::map<std::string, int64_t>{{"RecommendItems OK", 2}, {"RecordEvents RESOURCE_EXHAUSTED", 1}}));
}

}  // namespace
}  // namespace recd
