#include "server/prometheus_writer.h"

#include <cmath>
#include <limits>

#include "gtest/gtest.h"

namespace recd {
namespace {

using Type = PrometheusWriter::Type;

TEST(PrometheusWriterTest, WritesHelpTypeAndSamplesOfEachFamily) {
  PrometheusWriter w;
  w.Family("recd_requests_total", "Calls finished.", Type::kCounter);
  w.Sample({{"method", "RecommendItems"}, {"code", "OK"}}, 3);
  w.Sample({{"method", "RecommendItems"}, {"code", "INVALID_ARGUMENT"}}, 1);
  w.Family("process_threads", "Threads.", Type::kGauge);
  w.Sample({}, 27);
  auto text = std::move(w).Finish();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "# HELP recd_requests_total Calls finished.\n"
            "# TYPE recd_requests_total counter\n"
            "recd_requests_total{method=\"RecommendItems\",code=\"OK\"} 3\n"
            "recd_requests_total{method=\"RecommendItems\",code=\"INVALID_ARGUMENT\"} 1\n"
            "# HELP process_threads Threads.\n"
            "# TYPE process_threads gauge\n"
            "process_threads 27\n");
}

TEST(PrometheusWriterTest, EscapesLabelValuesAndHelp) {
  PrometheusWriter w;
  w.Family("recd_bundle_info", "Line one\nback\\slash \"quoted\".", Type::kGauge);
  w.Sample({{"version", "a\"b\\c\nd"}}, 1);
  auto text = std::move(w).Finish();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "# HELP recd_bundle_info Line one\\nback\\\\slash \"quoted\".\n"
            "# TYPE recd_bundle_info gauge\n"
            "recd_bundle_info{version=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(PrometheusWriter::EscapeLabelValue("plain"), "plain");
}

TEST(PrometheusWriterTest, HistogramBucketsAreCumulativeAndEndInInf) {
  PrometheusWriter w;
  w.Family("recd_request_duration_seconds", "Latency.", Type::kHistogram);
  w.Histogram({{"method", "M"}}, {0.001, 0.01, 0.1}, {1, 4, 4}, 5, 2.5);
  auto text = std::move(w).Finish();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "# HELP recd_request_duration_seconds Latency.\n"
            "# TYPE recd_request_duration_seconds histogram\n"
            "recd_request_duration_seconds_bucket{method=\"M\",le=\"0.001\"} 1\n"
            "recd_request_duration_seconds_bucket{method=\"M\",le=\"0.01\"} 4\n"
            "recd_request_duration_seconds_bucket{method=\"M\",le=\"0.1\"} 4\n"
            "recd_request_duration_seconds_bucket{method=\"M\",le=\"+Inf\"} 5\n"
            "recd_request_duration_seconds_sum{method=\"M\"} 2.5\n"
            "recd_request_duration_seconds_count{method=\"M\"} 5\n");
}

TEST(PrometheusWriterTest, HistogramWithoutLabelsHasOnlyLe) {
  PrometheusWriter w;
  w.Family("recd_event_write_duration_seconds", "Writes.", Type::kHistogram);
  w.Histogram({}, {1}, {0}, 0, 0);
  auto text = std::move(w).Finish();
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find("recd_event_write_duration_seconds_bucket{le=\"1\"} 0\n"), std::string::npos);
  EXPECT_NE(text->find("recd_event_write_duration_seconds_sum 0\n"), std::string::npos);
}

TEST(PrometheusWriterTest, BucketsThatAreNotCumulativeAreAnError) {
  const struct {
    std::vector<double> bounds;
    std::vector<int64_t> counts;
    int64_t count;
  } cases[] = {
      {{0.1, 0.2}, {3, 2}, 5},   // decreasing counts
      {{0.2, 0.1}, {1, 2}, 5},   // bounds not ascending
      {{0.1, 0.2}, {1, 6}, 5},   // a bucket above the total
      {{0.1}, {1, 2}, 5},        // sizes differ
      {{std::numeric_limits<double>::infinity()}, {1}, 5},  // +Inf is implicit
  };
  for (const auto& c : cases) {
    PrometheusWriter w;
    w.Family("h_seconds", "h", Type::kHistogram);
    w.Histogram({}, c.bounds, c.counts, c.count, 1);
    EXPECT_FALSE(std::move(w).Finish().ok());
  }
}

TEST(PrometheusWriterTest, MisuseIsReportedNotWritten) {
  auto fails = [](auto write, const char* why) {
    PrometheusWriter w;
    write(w);
    auto text = std::move(w).Finish();
    ASSERT_FALSE(text.ok()) << why;
    EXPECT_NE(text.status().message().find(why), absl::string_view::npos) << text.status();
  };
  fails([](PrometheusWriter& w) { w.Family("requests", "h", Type::kCounter); }, "must end in _total");
  fails([](PrometheusWriter& w) { w.Family("9lives", "h", Type::kGauge); }, "is not");
  fails([](PrometheusWriter& w) { w.Family("a-b", "h", Type::kGauge); }, "is not");
  fails([](PrometheusWriter& w) {
    w.Family("g", "h", Type::kGauge);
    w.Family("g", "h", Type::kGauge);
  }, "written twice");
  fails([](PrometheusWriter& w) { w.Sample({}, 1); }, "outside a metric family");
  fails([](PrometheusWriter& w) {
    w.Family("g", "h", Type::kGauge);
    w.Sample({{"bad-name", "v"}}, 1);
  }, "label name 'bad-name'");
  fails([](PrometheusWriter& w) {
    w.Family("g", "h", Type::kGauge);
    w.Sample({{"a", "1"}, {"a", "2"}}, 1);
  }, "label name 'a'");
  fails([](PrometheusWriter& w) {
    w.Family("h_seconds", "h", Type::kHistogram);
    w.Histogram({{"le", "1"}}, {1}, {0}, 0, 0);
  }, "label name 'le'");
  fails([](PrometheusWriter& w) {
    w.Family("h_seconds", "h", Type::kHistogram);
    w.Sample({}, 1);
  }, "takes Histogram()");
}

TEST(PrometheusWriterTest, FormatsValuesAsTheFormatSpellsThem) {
  EXPECT_EQ(PrometheusWriter::FormatValue(0), "0");
  EXPECT_EQ(PrometheusWriter::FormatValue(123456789), "123456789");
  EXPECT_EQ(PrometheusWriter::FormatValue(-2), "-2");
  EXPECT_EQ(PrometheusWriter::FormatValue(0.25), "0.25");
  EXPECT_EQ(PrometheusWriter::FormatValue(2.856e-05), "2.856e-05");
  EXPECT_EQ(PrometheusWriter::FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(PrometheusWriter::FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(PrometheusWriter::FormatValue(std::nan("")), "NaN");
}

}  // namespace
}  // namespace recd
