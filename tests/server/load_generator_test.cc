#include "server/load_generator.h"

#include <grpcpp/grpcpp.h>

#include <map>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/v1/recommender.grpc.pb.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

LoadGeneratorOptions Users(int n) {
  LoadGeneratorOptions o;
  for (int u = 0; u < n; ++u) o.users.push_back(absl::StrCat("u", u));
  return o;
}

TEST(ValidateLoadOptionsTest, DefaultsWithUsersAreValid) {
  EXPECT_TRUE(ValidateLoadOptions(Users(10)).ok());
}

TEST(ValidateLoadOptionsTest, NegativeZipfNamesTheFlag) {
  LoadGeneratorOptions o = Users(10);
  o.users_zipf = -0.5;
  const absl::Status s = ValidateLoadOptions(o);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("--users-zipf"));
}

TEST(ValidateLoadOptionsTest, TooManySessionItemsNamesTheFlag) {
  LoadGeneratorOptions o = Users(10);
  o.items = {"i1", "i2"};
  o.session_items = 1001;
  EXPECT_THAT(ValidateLoadOptions(o).message(), HasSubstr("--session-items: must be in 0..1000"));
}

TEST(ValidateLoadOptionsTest, EventsWithoutItemsNameTheFlag) {
  LoadGeneratorOptions o = Users(10);
  o.event_fraction = 0.1;
  EXPECT_THAT(ValidateLoadOptions(o).message(), HasSubstr("--event-fraction"));
}

TEST(ValidateLoadOptionsTest, DescribeDrawsNamesTheDistribution) {
  LoadGeneratorOptions o = Users(50);
  EXPECT_EQ(DescribeDraws(o), "users uniform over 50, no session items");
  o.users_zipf = 1.1;
  EXPECT_THAT(DescribeDraws(o), HasSubstr("zipf s=1.1"));
}

// A Recommender that answers at once and keeps every request's user and
// session items, in arrival order.
class RecordingRecommender final : public v1::Recommender::Service {
 public:
  grpc::Status RecommendItems(grpc::ServerContext*, const v1::RecommendRequest* req,
                              v1::RecommendResponse*) override {
    absl::MutexLock lock(&mu_);
    requests_.push_back(*req);
    return grpc::Status::OK;
  }
  std::vector<v1::RecommendRequest> requests() {
    absl::MutexLock lock(&mu_);
    return requests_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::RecommendRequest> requests_ ABSL_GUARDED_BY(mu_);
};

TEST(RunLoadTest, RequestsCarryEachUsersSessionMovingOneItemAtATime) {
  RecordingRecommender service;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  LoadGeneratorOptions o = Users(20);
  for (int i = 0; i < 50; ++i) o.items.push_back(absl::StrCat("i", i));
  o.target = absl::StrCat("127.0.0.1:", port);
  o.users_zipf = 1.1;
  o.session_items = 3;
  o.concurrency = 1;  // one call at a time: a user's requests arrive in order
  o.channels = 1;
  o.warmup = absl::ZeroDuration();
  o.duration = absl::Milliseconds(300);
  auto result = RunLoad(o);
  server->Shutdown();
  ASSERT_TRUE(result.ok()) << result.status();

  const std::vector<v1::RecommendRequest> requests = service.requests();
  ASSERT_GT(requests.size(), 20u);
  std::map<std::string, std::vector<std::string>> last;  // user -> previous window
  int followed = 0;
  for (const v1::RecommendRequest& r : requests) {
    const std::vector<std::string> window(r.recent_item_ids().begin(), r.recent_item_ids().end());
    ASSERT_EQ(window.size(), 3u);
    auto it = last.find(r.user_id());
    if (it != last.end()) {
      EXPECT_EQ(window[0], it->second[1]);
      EXPECT_EQ(window[1], it->second[2]);
      ++followed;
    }
    last[r.user_id()] = window;
  }
  EXPECT_GT(followed, 0);
}

}  // namespace
}  // namespace recd
