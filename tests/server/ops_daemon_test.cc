// The ops listener of a real daemon: /metrics, /healthz and /readyz on a
// loopback port next to gRPC, and metrics that follow the calls made.

#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "test_util/daemon_fixture.h"
// After Eigen (through the fixture): httplib's headers define macros that
// break Eigen's when included first.
#include <httplib.h>

namespace recd {
namespace {

class OpsDaemonTest : public DaemonTest {
 protected:
  OpsDaemonTest() { config_extra_ = "ops: {listen: '127.0.0.1:0'}\n"; }

  httplib::Result Get(const std::string& path) {
    httplib::Client client("127.0.0.1", server_->ops_port());
    client.set_connection_timeout(5);
    client.set_read_timeout(5);
    return client.Get(path);
  }

  std::string Scrape() {
    auto res = Get("/metrics");
    EXPECT_TRUE(res);
    if (!res) return "";
    EXPECT_EQ(res->status, 200) << res->body;
    return res->body;
  }

  // The value of the sample `series` (name{labels} exactly as written), 0
  // when the scrape has no such sample yet.
  static double Value(const std::string& text, const std::string& series) {
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
      if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
    }
    return 0;
  }
};

TEST_F(OpsDaemonTest, HealthzAndReadyzAnswer200WhenServing) {
  ASSERT_GT(server_->ops_port(), 0);
  auto health = Get("/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto ready = Get("/readyz");
  ASSERT_TRUE(ready);
  EXPECT_EQ(ready->status, 200);
  EXPECT_EQ(ready->body, "ready\n");
}

TEST_F(OpsDaemonTest, RequestCountersAndHistogramsGrowByTheCallsMade) {
  const std::string ok = "{method=\"RecommendItems\",code=\"OK\"}";
  const std::string invalid = "{method=\"RecommendItems\",code=\"INVALID_ARGUMENT\"}";
  const std::string before = Scrape();
  constexpr int kCalls = 7;
  for (int i = 0; i < kCalls; ++i) RecommendOk("u" + std::to_string(i + 1), 5);
  v1::RecommendRequest empty_user;
  empty_user.set_k(5);
  v1::RecommendResponse resp;
  ASSERT_EQ(Recommend(empty_user, &resp).error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  const std::string after = Scrape();

  EXPECT_EQ(Value(after, "recd_requests_total" + ok) - Value(before, "recd_requests_total" + ok), kCalls);
  EXPECT_EQ(Value(after, "recd_requests_total" + invalid) - Value(before, "recd_requests_total" + invalid), 1);
  const std::string count = "recd_request_duration_seconds_count" + ok;
  EXPECT_EQ(Value(after, count) - Value(before, count), kCalls);
  EXPECT_EQ(Value(after, "recd_request_duration_seconds_bucket{method=\"RecommendItems\",code=\"OK\",le=\"+Inf\"}"),
            Value(after, count));
  EXPECT_GT(Value(after, "recd_request_duration_seconds_sum" + ok), Value(before, "recd_request_duration_seconds_sum" + ok));
  // Seven users never seen before: each was ranked, so every model ran.
  EXPECT_GE(Value(after, "recd_model_calls_total{model=\"pop\"}") - Value(before, "recd_model_calls_total{model=\"pop\"}"),
            kCalls);
  EXPECT_EQ(Value(after, "recd_model_duration_seconds_count{model=\"mf\"}"),
            Value(after, "recd_model_calls_total{model=\"mf\"}"));
  EXPECT_GE(Value(after, "recd_cache_misses_total{cache=\"result\"}") -
                Value(before, "recd_cache_misses_total{cache=\"result\"}"),
            kCalls);
  EXPECT_GT(Value(after, "process_resident_memory_bytes"), 0);
  EXPECT_GT(Value(after, "process_threads"), 1);
}

TEST_F(OpsDaemonTest, EventWritesAreCountedAndTimed) {
  const std::string before = Scrape();
  ASSERT_TRUE(Record("u3", "i7", v1::VIEW).ok());
  const std::string after = Scrape();
  EXPECT_EQ(Value(after, "recd_event_write_duration_seconds_count") -
                Value(before, "recd_event_write_duration_seconds_count"),
            1);
  EXPECT_EQ(Value(after, "recd_requests_total{method=\"RecordEvents\",code=\"OK\"}") -
                Value(before, "recd_requests_total{method=\"RecordEvents\",code=\"OK\"}"),
            1);
}

TEST_F(OpsDaemonTest, InfoMetricsNameTheServingVersions) {
  grpc::ClientContext ctx;
  v1::GetStatusResponse status;
  ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  const std::string text = Scrape();
  EXPECT_EQ(Value(text, "recd_bundle_info{version=\"" + status.bundle_version() + "\"}"), 1) << text;
  EXPECT_EQ(Value(text, "recd_config_info{version=\"" + status.config_version() + "\"}"), 1);
}

TEST_F(OpsDaemonTest, ReloadChangingOpsListenIsRejectedAndCounted) {
  const std::string before = Scrape();
  WriteConfig(world->bundle_a, "ops: {listen: '127.0.0.1:1'}\n");
  v1::ReloadConfigResponse resp;
  const grpc::Status s = Reload(&resp);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error_message().find("ops.listen"), std::string::npos) << s.error_message();
  const std::string after = Scrape();
  EXPECT_EQ(Value(after, "recd_reload_failures_total") - Value(before, "recd_reload_failures_total"), 1);
  EXPECT_EQ(Value(after, "recd_reloads_total"), Value(before, "recd_reloads_total"));
}

TEST_F(OpsDaemonTest, NoUserIdReachesTheScrape) {
  RecommendOk("u7", 5);
  v1::RecommendRequest unknown;
  unknown.set_user_id("someone-quite-unknown-42");
  unknown.set_k(5);
  v1::RecommendResponse resp;
  Recommend(unknown, &resp);
  const std::string text = Scrape();
  EXPECT_EQ(text.find("someone-quite-unknown-42"), std::string::npos);
  EXPECT_EQ(text.find("\"u7\""), std::string::npos);
}

TEST_F(OpsDaemonTest, DashboardPageAndItsJsonAreServed) {
  auto page = Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_EQ(page->get_header_value("Content-Type"), "text/html; charset=utf-8");
  EXPECT_NE(page->body.find("<title>recd ops</title>"), std::string::npos);
  EXPECT_EQ(page->body.find("https://"), std::string::npos);  // nothing fetched from elsewhere

  RecommendOk("u2", 5);
  auto status = Get("/api/status");
  ASSERT_TRUE(status);
  ASSERT_EQ(status->status, 200) << status->body;
  const auto json = nlohmann::json::parse(status->body);
  grpc::ClientContext ctx;
  v1::GetStatusResponse admin_status;
  ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &admin_status).ok());
  EXPECT_EQ(json["bundle_version"], admin_status.bundle_version());
  EXPECT_EQ(json["models"].size(), static_cast<size_t>(admin_status.models_size()));
  bool found = false;
  for (const auto& call : json["calls"]) {
    if (call["method"] == "RecommendItems" && call["code"] == "OK") found = call["latency"]["count"].get<int>() >= 1;
  }
  EXPECT_TRUE(found) << status->body;
}

TEST_F(OpsDaemonTest, TryItAnswersWithContributionsAndRefusesBadInput) {
  auto answer = Get("/api/recommend?user_id=u3&k=3&recent=i1,i2");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  const auto json = nlohmann::json::parse(answer->body);
  ASSERT_EQ(json["items"].size(), 3u);
  for (const auto& item : json["items"]) {
    double sum = 0;
    for (const auto& c : item["contributions"]) sum += c["contribution"].get<double>();
    EXPECT_NEAR(sum, item["score"].get<double>(), 1e-3) << item.dump();
    EXPECT_FALSE(item["reason"].get<std::string>().empty());
  }
  auto bad_k = Get("/api/recommend?user_id=u3&k=500");
  ASSERT_TRUE(bad_k);
  EXPECT_EQ(bad_k->status, 400);
  EXPECT_NE(bad_k->body.find("k: must be"), std::string::npos) << bad_k->body;
  auto no_user = Get("/api/recommend?k=3");
  ASSERT_TRUE(no_user);
  EXPECT_EQ(no_user->status, 400);
  EXPECT_NE(no_user->body.find("user_id"), std::string::npos) << no_user->body;
}

// Without ops.listen there is no ops listener.
class OpsOffDaemonTest : public DaemonTest {};

TEST_F(OpsOffDaemonTest, NoOpsListenerByDefault) { EXPECT_EQ(server_->ops_port(), 0); }

class OpsExperimentsDaemonTest : public OpsDaemonTest {
 protected:
  OpsExperimentsDaemonTest() {
    config_extra_ +=
        "experiments: {salt: ops-1, arms: [{name: control, share: 0.25}, "
        "{name: cooccur, share: 0.75, fusion: {weights: {knn: 1.0, markov: 1.0}}}]}\n";
  }
};

// The dashboard's experiments table: each arm with its share, weights and
// the latency buckets of the answers it gave, as GetStatus counts them.
TEST_F(OpsExperimentsDaemonTest, StatusListsEachArmWithItsShareWeightsAndAnswers) {
  for (int u = 0; u < 40; ++u) RecommendOk("u" + std::to_string(u), 5);
  auto status = Get("/api/status");
  ASSERT_TRUE(status);
  ASSERT_EQ(status->status, 200) << status->body;
  const auto arms = nlohmann::json::parse(status->body)["experiments"];
  ASSERT_EQ(arms.size(), 2u) << arms.dump();
  grpc::ClientContext ctx;
  v1::GetStatusResponse admin_status;
  ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &admin_status).ok());
  EXPECT_EQ(arms[0]["name"], "control");
  EXPECT_DOUBLE_EQ(arms[0]["share"].get<double>(), 0.25);
  EXPECT_EQ(arms[1]["name"], "cooccur");
  EXPECT_DOUBLE_EQ(arms[1]["share"].get<double>(), 0.75);
  EXPECT_EQ(arms[1]["weights"]["knn"].get<double>(), 1.0);
  EXPECT_EQ(arms[1]["weights"]["markov"].get<double>(), 1.0);
  EXPECT_EQ(arms[1]["weights"].value("mf", 0.0), 0.0);
  int64_t answers = 0;
  for (const auto& arm : arms) {
    const std::string name = arm["name"];
    const int64_t count = arm.contains("latency") ? arm["latency"]["count"].get<int64_t>() : 0;
    EXPECT_EQ(count, admin_status.experiment_arms().at(name)) << name;
    answers += count;
  }
  EXPECT_EQ(answers, 40);

  auto answer = Get("/api/recommend?user_id=u3&k=3");
  ASSERT_TRUE(answer);
  ASSERT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(nlohmann::json::parse(answer->body)["experiment_arm"], RecommendOk("u3", 3).experiment_arm());
}

TEST_F(OpsDaemonTest, StatusListsNoArmsWithoutExperiments) {
  auto status = Get("/api/status");
  ASSERT_TRUE(status);
  EXPECT_TRUE(nlohmann::json::parse(status->body)["experiments"].empty()) << status->body;
}

}  // namespace
}  // namespace recd
