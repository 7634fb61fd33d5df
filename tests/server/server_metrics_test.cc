#include "server/server_metrics.h"

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

}  // namespace
}  // namespace recd
