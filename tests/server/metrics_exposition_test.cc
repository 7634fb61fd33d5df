#include "server/metrics_exposition.h"

#include <set>
#include <sstream>
#include <string>

#include "abuse/online_shilling_detector.h"
#include "gtest/gtest.h"
#include "server/admission_controller.h"
#include "server/server_metrics.h"

namespace recd {
namespace {

bool Has(const std::string& text, const std::string& line) { return text.find(line + "\n") != std::string::npos; }

TEST(MetricsExpositionTest, QuarantineCountsAreExposedWithoutIds) {
  OnlineShillingDetector quarantine;
  UserEvents bot{"bot-1", {}, ""};
  for (int k = 0; k < 30; ++k) bot.events.push_back({"item-9", EventType::kView, 1'700'000'000});
  const std::vector<UserEvents> batch = {bot};
  quarantine.Observe(batch, ShillingOptions{}, [](const std::string&) { return std::optional<int64_t>(); },
                     absl::FromUnixSeconds(1'700'000'000));
  MetricsSources sources;
  sources.quarantine = &quarantine;
  sources.process = false;
  auto text = ExposeMetrics(sources);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_TRUE(Has(*text, "# TYPE recd_quarantine_users gauge"));
  EXPECT_TRUE(Has(*text, "recd_quarantine_users 1"));
  EXPECT_TRUE(Has(*text, "recd_quarantine_signal_users{signal=\"burst\"} 1"));
  EXPECT_TRUE(Has(*text, "recd_quarantine_signal_users{signal=\"hammer\"} 1"));
  EXPECT_TRUE(Has(*text, "recd_quarantine_signal_users{signal=\"swarm\"} 0"));
  EXPECT_TRUE(Has(*text, "recd_quarantine_targeted_items 0"));
  EXPECT_EQ(text->find("bot-1"), std::string::npos);
  EXPECT_EQ(text->find("item-9"), std::string::npos);
}

TEST(MetricsExpositionTest, ServerMetricsBecomeFamiliesWithHelpAndType) {
  ServerMetrics metrics;
  metrics.CountFinished("RecommendItems", "OK", absl::Milliseconds(3));
  metrics.CountFinished("RecommendItems", "OK", absl::Milliseconds(5));
  metrics.CountDegraded();
  metrics.CountStateCache(true);
  ModelMetrics& mf = metrics.Model("mf");
  ++mf.calls;
  ++mf.timeouts;
  mf.latency.Record(absl::Milliseconds(1));
  AdmissionController admission({});
  MetricsSources sources;
  sources.metrics = &metrics;
  sources.admission = &admission;
  sources.process = false;
  auto text = ExposeMetrics(sources);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_TRUE(Has(*text, "# TYPE recd_requests_total counter"));
  EXPECT_TRUE(Has(*text, "recd_requests_total{method=\"RecommendItems\",code=\"OK\"} 2"));
  EXPECT_TRUE(Has(*text, "recd_request_duration_seconds_count{method=\"RecommendItems\",code=\"OK\"} 2"));
  EXPECT_TRUE(Has(*text, "recd_request_duration_seconds_sum{method=\"RecommendItems\",code=\"OK\"} 0.008"));
  EXPECT_TRUE(Has(*text, "recd_model_timeouts_total{model=\"mf\"} 1"));
  EXPECT_TRUE(Has(*text, "recd_model_duration_seconds_bucket{model=\"mf\",le=\"+Inf\"} 1"));
  EXPECT_TRUE(Has(*text, "recd_degraded_answers_total 1"));
  EXPECT_TRUE(Has(*text, "recd_cache_hits_total{cache=\"state\"} 1"));
  EXPECT_TRUE(Has(*text, "recd_admission_limit{lane=\"read\"} 8"));
  EXPECT_EQ(text->find("process_"), std::string::npos);

  // Every sample belongs to a family announced by its # TYPE line.
  std::set<std::string> families;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with("# TYPE ")) {
      families.insert(line.substr(7, line.find(' ', 7) - 7));
      continue;
    }
    if (line.starts_with("#")) continue;
    std::string name = line.substr(0, line.find_first_of("{ "));
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      if (!families.contains(name) && name.ends_with(suffix)) name.resize(name.size() - std::string(suffix).size());
    }
    EXPECT_TRUE(families.contains(name)) << line;
  }
}

TEST(MetricsExpositionTest, WithoutSourcesOnlyTheProcessIsReported) {
  auto text = ExposeMetrics(MetricsSources{});
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_NE(text->find("# TYPE process_resident_memory_bytes gauge\n"), std::string::npos);
  EXPECT_NE(text->find("process_threads "), std::string::npos);
  EXPECT_EQ(text->find("recd_"), std::string::npos);
}

}  // namespace
}  // namespace recd
