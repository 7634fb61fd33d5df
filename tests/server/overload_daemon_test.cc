// The daemon under bursts, bad context and reloads: admission control,
// category checks, start-only keys, coalesced reloads and warm swaps, over
// loopback gRPC against the real daemon.

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

class OverloadDaemonTest : public DaemonTest {
 protected:
  std::map<std::string, int64_t> Counters() {
    grpc::ClientContext ctx;
    v1::GetStatusResponse status;
    EXPECT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
    return {status.counters().begin(), status.counters().end()};
  }

  // Restarts the daemon on the same store with `server_extra` in server:.
  void Restart(const std::string& server_extra) {
    server_.reset();
    server_extra_ = server_extra;
    WriteConfig(world->bundle_a, "");
    StartServer();
  }
};

struct BurstOutcome {
  std::atomic<int> ok{0}, refused{0}, other{0}, with_pushback{0}, short_answers{0};
  std::atomic<int> done{0};
  std::string refusal_message;
  absl::Mutex mu;
};

TEST_F(OverloadDaemonTest, BurstBeyondCapacityIsRefusedAtOnceWithPushback) {
  Restart(", admission: {max_in_flight_reads: 1, max_queue_ms: 1000}");
  constexpr int kCalls = 64;
  BurstOutcome out;
  struct Call {
    grpc::ClientContext ctx;
    v1::RecommendRequest req;
    v1::RecommendResponse resp;
  };
  std::vector<std::unique_ptr<Call>> calls;
  for (int i = 0; i < kCalls; ++i) {
    auto call = std::make_unique<Call>();
    call->req.set_user_id("u" + std::to_string(i));
    call->req.set_k(20);
    call->req.set_explain(true);
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
    calls.push_back(std::move(call));
  }
  for (auto& c : calls) {
    Call* call = c.get();
    recommender_->async()->RecommendItems(&call->ctx, &call->req, &call->resp, [call, &out](grpc::Status s) {
      if (s.ok()) {
        ++out.ok;
        if (call->resp.items_size() != 20) ++out.short_answers;
      } else if (s.error_code() == grpc::RESOURCE_EXHAUSTED) {
        ++out.refused;
        const auto& trailers = call->ctx.GetServerTrailingMetadata();
        if (trailers.find("grpc-retry-pushback-ms") != trailers.end()) ++out.with_pushback;
        absl::MutexLock lock(&out.mu);
        out.refusal_message = s.error_message();
      } else {
        ++out.other;
      }
      ++out.done;
    });
  }
  // Admin calls are never shed, even while reads are.
  const auto during = Counters();
  EXPECT_TRUE(during.count("refused_reads"));
  while (out.done.load() < kCalls) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(out.ok + out.refused, kCalls) << out.other << " calls failed otherwise";
  EXPECT_GT(out.ok.load(), 0);
  EXPECT_GT(out.refused.load(), 0) << "64 simultaneous calls against 1 place: some must be refused";
  EXPECT_EQ(out.with_pushback.load(), out.refused.load());
  EXPECT_EQ(out.short_answers.load(), 0);
  EXPECT_THAT(out.refusal_message, HasSubstr("capacity"));
  const auto after = Counters();
  EXPECT_EQ(after.at("refused_reads"), out.refused.load());
  // Nothing is left holding a place: the next call is served.
  RecommendOk("u1", 5);
}

TEST_F(OverloadDaemonTest, UnknownCategoryIsInvalidArgumentNamingIt) {
  v1::RecommendRequest req;
  req.set_user_id("u1");
  req.set_k(5);
  req.set_category("No/Such/Category");
  v1::RecommendResponse resp;
  grpc::Status s = Recommend(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("category: unknown category 'No/Such/Category'"));
  req.clear_category();
  req.mutable_filters()->add_allowed_categories(std::string(300, 'x'));
  s = Recommend(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("filters.allowed_categories[0]"));
}

// server.rate_limits: a user past its events per minute is refused by
// name, its call not written, other users unaffected; the limit reloads.
TEST_F(OverloadDaemonTest, EventsPastAUsersRateLimitAreRefusedAndTheLimitReloads) {
  const std::string extra = ", admission: {max_queue_ms: 10000}, rate_limits: {user_events_per_minute: ";
  Restart(extra + "3}");
  const int64_t refused_before = Counters().at("events_rate_limited");
  const std::vector<std::string> before = Ids(RecommendOk("u5", 300));
  ASSERT_GE(before.size(), 4u);
  const std::string& target = before.back();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Record("u5", before[static_cast<size_t>(i)], v1::VIEW).ok());
  const grpc::Status s = Record("u5", target, v1::PURCHASE);
  EXPECT_EQ(s.error_code(), grpc::RESOURCE_EXHAUSTED);
  EXPECT_THAT(s.error_message(), HasSubstr("user 'u5'"));
  EXPECT_THAT(s.error_message(), HasSubstr("server.rate_limits.user_events_per_minute"));
  EXPECT_TRUE(Record("u6", target, v1::VIEW).ok());
  EXPECT_EQ(Counters().at("events_rate_limited"), refused_before + 1);
  // The refused purchase was not written: the item is still recommended.
  EXPECT_THAT(Ids(RecommendOk("u5", 300)), ::testing::Contains(target));

  server_extra_ = extra + "100}";
  WriteConfig(world->bundle_a, "");
  v1::ReloadConfigResponse reloaded;
  ASSERT_TRUE(Reload(&reloaded).ok());
  EXPECT_TRUE(Record("u5", target, v1::PURCHASE).ok());
}

TEST_F(OverloadDaemonTest, ReloadChangingAStartOnlyKeyIsRejectedNamingIt) {
  const std::string before = RecommendOk("u1", 1).config_version();
  server_extra_ = ", admission: {max_in_flight_reads: 3}";
  WriteConfig(world->bundle_a, "");
  v1::ReloadConfigResponse resp;
  const grpc::Status s = Reload(&resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("server.admission.max_in_flight_reads"));
  EXPECT_THAT(s.error_message(), HasSubstr("restart"));
  EXPECT_EQ(RecommendOk("u1", 1).config_version(), before);
}

TEST_F(OverloadDaemonTest, ConcurrentReloadsShareOneReloadAndAllSucceed) {
  const int64_t reloads_before = Counters().at("reloads");
  constexpr int kCallers = 8;
  std::atomic<int> ok{0};
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    callers.emplace_back([&] {
      v1::ReloadConfigResponse resp;
      if (Reload(&resp).ok()) ++ok;
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(ok.load(), kCallers);
  const int64_t reloads = Counters().at("reloads") - reloads_before;
  EXPECT_GE(reloads, 1);
  EXPECT_LT(reloads, kCallers);
}

TEST_F(OverloadDaemonTest, ModelSwapWarmsRecentlyServedUsers) {
  for (int u = 0; u < 20; ++u) RecommendOk("u" + std::to_string(u), 5);
  WriteConfig(world->bundle_b, "");
  v1::ReloadConfigResponse resp;
  ASSERT_TRUE(Reload(&resp).ok());
  const auto before = Counters();
  EXPECT_GE(before.at("states_warmed"), 20);
  // A served user's first request on the new bundle finds their states.
  RecommendOk("u3", 5);
  const auto after = Counters();
  EXPECT_EQ(after.at("state_cache_hits"), before.at("state_cache_hits") + 1);
  EXPECT_EQ(after.at("state_cache_misses"), before.at("state_cache_misses"));
}

TEST_F(OverloadDaemonTest, WeightChangeKeepsCachedStates) {
  RecommendOk("u9", 5);  // encodes and caches u9
  WriteConfig(world->bundle_a, "fusion: {version: mf-heavy, weights: {mf: 3, knn: 1, pop: 0.5}}\n");
  v1::ReloadConfigResponse resp;
  ASSERT_TRUE(Reload(&resp).ok());
  const auto before = Counters();
  RecommendOk("u9", 5);
  const auto after = Counters();
  EXPECT_EQ(after.at("state_cache_hits"), before.at("state_cache_hits") + 1);
  EXPECT_EQ(after.at("states_warmed"), before.at("states_warmed"));  // same bundle: nothing to warm
}

}  // namespace
}  // namespace recd
