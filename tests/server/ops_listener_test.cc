#include "server/ops_listener.h"

#include <httplib.h>

#include <atomic>
#include <memory>
#include <string>

#include "gtest/gtest.h"

namespace recd {
namespace {

// A listener on a free loopback port whose readiness and metrics the test
// sets.
class OpsListenerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    OpsListener::Options options;
    options.listen = "127.0.0.1:0";
    options.metrics = [this]() -> absl::StatusOr<std::string> {
      if (metrics_fail_.load()) return absl::InternalError("writer broke");
      return std::string("# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n");
    };
    options.ready = [this] {
      return ready_.load() ? absl::OkStatus() : absl::UnavailableError("loading the model bundle");
    };
    options.pages["/echo"] = [](const std::map<std::string, std::string>& params) {
      auto it = params.find("say");
      return OpsListener::Page{it == params.end() ? 400 : 200, "text/plain", it == params.end() ? "" : it->second};
    };
    auto listener = OpsListener::Start(std::move(options));
    ASSERT_TRUE(listener.ok()) << listener.status();
    listener_ = *std::move(listener);
    ASSERT_GT(listener_->port(), 0);
    client_ = std::make_unique<httplib::Client>("127.0.0.1", listener_->port());
    client_->set_connection_timeout(5);
    client_->set_read_timeout(5);
  }

  std::atomic<bool> ready_{false};
  std::atomic<bool> metrics_fail_{false};
  std::unique_ptr<OpsListener> listener_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(OpsListenerTest, HealthzAnswersWhileNotReady) {
  auto res = client_->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "ok\n");
}

TEST_F(OpsListenerTest, ReadyzSays503WithTheReasonUntilReady) {
  auto res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 503);
  EXPECT_EQ(res->body, "not ready: loading the model bundle\n");
  ready_ = true;
  res = client_->Get("/readyz");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
}

TEST_F(OpsListenerTest, MetricsCarryThePrometheusContentType) {
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_EQ(res->body, "# HELP x_total X.\n# TYPE x_total counter\nx_total 1\n");
}

TEST_F(OpsListenerTest, MetricsErrorIs500WithTheMessage) {
  metrics_fail_ = true;
  auto res = client_->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 500);
  EXPECT_NE(res->body.find("writer broke"), std::string::npos);
}

TEST_F(OpsListenerTest, UnknownPathsAndOversizedBodiesAreRefused) {
  auto res = client_->Get("/admin/reload");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 404);
  res = client_->Post("/metrics", std::string(64 * 1024, 'x'), "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
}

TEST_F(OpsListenerTest, ExtraPagesGetTheQueryParameters) {
  auto res = client_->Get("/echo?say=hello%20there&say=second");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->body, "hello there");
  res = client_->Get("/echo");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 400);
}

TEST_F(OpsListenerTest, StopEndsServingAndIsIdempotent) {
  listener_->Stop();
  listener_->Stop();
  httplib::Client late("127.0.0.1", listener_->port());
  late.set_connection_timeout(1);
  EXPECT_FALSE(late.Get("/healthz"));
}

TEST(OpsListenerStartTest, BadAddressesAreNamedErrors) {
  for (const char* listen : {"nocolon", "127.0.0.1:99999", "127.0.0.1:x", ":80", "[::1:80"}) {
    OpsListener::Options options;
    options.listen = listen;
    options.metrics = [] { return std::string(); };
    options.ready = [] { return absl::OkStatus(); };
    auto listener = OpsListener::Start(std::move(options));
    ASSERT_FALSE(listener.ok()) << listen;
    EXPECT_NE(listener.status().message().find("ops.listen"), absl::string_view::npos) << listener.status();
  }
}

TEST(OpsListenerStartTest, PortInUseIsAnError) {
  OpsListener::Options options;
  options.listen = "127.0.0.1:0";
  options.metrics = [] { return std::string(); };
  options.ready = [] { return absl::OkStatus(); };
  auto first = OpsListener::Start(options);
  ASSERT_TRUE(first.ok()) << first.status();
  options.listen = "127.0.0.1:" + std::to_string((*first)->port());
  auto second = OpsListener::Start(options);
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find("cannot listen on"), absl::string_view::npos) << second.status();
}

TEST(SplitHostPortTest, AcceptsIpv4NamesAndBracketedIpv6) {
  EXPECT_EQ(*SplitHostPort("f", "127.0.0.1:9464"), std::make_pair(std::string("127.0.0.1"), 9464));
  EXPECT_EQ(*SplitHostPort("f", "localhost:0"), std::make_pair(std::string("localhost"), 0));
  EXPECT_EQ(*SplitHostPort("f", "[::1]:80"), std::make_pair(std::string("::1"), 80));
}

}  // namespace
}  // namespace recd
