// The daemon with store.backend: redis against a real standalone server:
// seeding, recorded events and a store that dies.

#include <grpcpp/grpcpp.h>

#include <cstdio>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "absl/time/clock.h"
#include "test_util/daemon_fixture.h"
#include "test_util/redis_servers.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

class RedisStoreDaemonTest : public DaemonTest {
 protected:
  void SetUp() override {
    if (std::string missing = RedisServers::Missing(); !missing.empty()) GTEST_SKIP() << missing;
    std::string error;
    redis_ = RedisServers::StartStandalone(0, &error);
    ASSERT_NE(redis_, nullptr) << error;
    store_extra_ = ", backend: redis, redis: {nodes: ['" + redis_->address(0) +
                   "'], connect_timeout_ms: 300, command_timeout_ms: 500, wait_timeout_ms: 100}";
    DaemonTest::SetUp();
  }
  void TearDown() override {
    DaemonTest::TearDown();
    redis_.reset();
  }

  std::unique_ptr<RedisServers> redis_;
};

TEST_F(RedisStoreDaemonTest, RecordedPurchaseIsExcludedAndKeptInRedis) {
  // The store was seeded into Redis at start.
  EXPECT_EQ(redis_->Command(0, {"HEXISTS", "recd:meta", "seeded_from"}).integer, 1);
  const auto before = Ids(RecommendOk("u6", 10));
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(Record("u6", before[0], v1::PURCHASE).ok());
  const auto after = Ids(RecommendOk("u6", 10));
  EXPECT_THAT(after, ::testing::Not(::testing::Contains(before[0])));

  // A second daemon on the same Redis (a replica, or this one restarted)
  // sees the purchase and does not seed again.
  server_.reset();
  StartServer();
  EXPECT_THAT(Ids(RecommendOk("u6", 10)), ::testing::Not(::testing::Contains(before[0])));
}

TEST_F(RedisStoreDaemonTest, RecordEventsIsUnavailableWhenRedisIsDown) {
  const auto before = Ids(RecommendOk("u7", 10));
  ASSERT_FALSE(before.empty());
  redis_->KillServer(0);
  const grpc::Status s = Record("u7", before[0], v1::PURCHASE);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();
  EXPECT_THAT(s.error_message(), HasSubstr("feature store"));
  EXPECT_THAT(s.error_message(), HasSubstr(redis_->address(0)));
}

// With the store down, RecommendItems still answers within its deadline,
// from the request's session items and the models, flagged "store".
TEST_F(RedisStoreDaemonTest, RecommendItemsAnswersDegradedWhenRedisIsDown) {
  const auto before = RecommendOk("u8", 10);
  ASSERT_GT(before.items_size(), 0);
  EXPECT_THAT(before.degraded(), ::testing::Not(::testing::Contains("store")));
  redis_->KillServer(0);
  v1::RecommendRequest req;
  req.set_user_id("u8");
  req.set_k(10);
  req.add_recent_item_ids(before.items(0).item_id());
  v1::RecommendResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(3));
  const grpc::Status s = recommender_->RecommendItems(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.items_size(), 10);
  EXPECT_THAT(resp.degraded(), ::testing::Contains("store"));
}

TEST_F(RedisStoreDaemonTest, ItemsAddedOnOneReplicaAreServedByTheOthers) {
  RecdServer::Options options;
  options.config_path = config_path_;
  auto other = RecdServer::Start(options);
  ASSERT_TRUE(other.ok()) << other.status();
  auto other_recommender = v1::Recommender::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string((*other)->port()), grpc::InsecureChannelCredentials()));
  auto similar_on_other = [&] {
    v1::SimilarItemsRequest req;
    req.set_item_id("new-rake");
    req.set_k(5);
    v1::SimilarItemsResponse resp;
    grpc::ClientContext ctx;
    return other_recommender->SimilarItems(&ctx, req, &resp);
  };
  ASSERT_EQ(similar_on_other().error_code(), grpc::StatusCode::NOT_FOUND);

  v1::AddItemsRequest req;
  v1::CatalogItem* item = req.add_items();
  item->set_item_id("new-rake");
  item->set_title("Zzyzx Garden Rake");
  item->add_category_path("Garden");
  v1::AddItemsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(admin_->AddItems(&ctx, req, &resp).ok());
  EXPECT_EQ(resp.served_new_items(), 1);

  const absl::Time added = absl::Now();
  grpc::Status s = similar_on_other();
  while (!s.ok() && absl::Now() - added < absl::Seconds(20)) {
    absl::SleepFor(absl::Milliseconds(20));
    s = similar_on_other();
  }
  ASSERT_TRUE(s.ok()) << "the other replica never served the new item: " << s.error_message();
  std::printf("the other replica served the new item %.0f ms after AddItems answered\n",
              absl::ToDoubleMilliseconds(absl::Now() - added));
}

}  // namespace
}  // namespace recd
