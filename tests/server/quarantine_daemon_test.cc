// The online quarantine (server.shilling) over loopback gRPC against the
// real daemon: a swarm of new accounts recorded through RecordEvents is
// listed by GetStatus and ListQuarantine with its target, the shop's real
// users recorded alongside are not, ReleaseQuarantine clears one, and the
// quarantined users' events are stored and served as ever.

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

class QuarantineDaemonTest : public DaemonTest {
 protected:
  // Dense item ids by how many events the world's log has on them, most first.
  static std::vector<int32_t> ItemsByPopularity() {
    std::vector<int64_t> count(static_cast<size_t>(world->data.num_items()), 0);
    for (const auto& h : world->data.histories) {
      for (const Event& e : h) ++count[static_cast<size_t>(e.item)];
    }
    std::vector<int32_t> items(count.size());
    for (size_t i = 0; i < items.size(); ++i) items[i] = static_cast<int32_t>(i);
    std::stable_sort(items.begin(), items.end(), [&](int32_t a, int32_t b) { return count[a] > count[b]; });
    return items;
  }

  grpc::Status RecordViews(const std::string& user, const std::vector<std::string>& items) {
    v1::RecordEventsRequest req;
    for (const std::string& item : items) {
      v1::Event* e = req.add_events();
      e->set_user_id(user);
      e->set_item_id(item);
      e->set_type(v1::VIEW);
    }
    v1::RecordEventsResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return recommender_->RecordEvents(&ctx, req, &resp);
  }

  v1::QuarantineStatus Quarantine() {
    grpc::ClientContext ctx;
    v1::GetStatusResponse status;
    const grpc::Status s = admin_->GetStatus(&ctx, {}, &status);
    EXPECT_TRUE(s.ok()) << s.error_message();
    return status.quarantine();
  }

  std::vector<std::string> ListedUsers() {
    std::vector<std::string> users;
    v1::ListQuarantineRequest req;
    req.set_max_users(7);  // several pages
    for (bool more = true; more;) {
      grpc::ClientContext ctx;
      v1::ListQuarantineResponse resp;
      const grpc::Status s = admin_->ListQuarantine(&ctx, req, &resp);
      EXPECT_TRUE(s.ok()) << s.error_message();
      if (!s.ok()) break;
      for (const auto& u : resp.users()) users.push_back(u.user_id());
      more = resp.more();
      if (more) req.set_after_user_id(users.back());
    }
    return users;
  }
};

TEST_F(QuarantineDaemonTest, SwarmOfNewAccountsIsListedWithItsTargetAndOneIsReleased) {
  const std::vector<int32_t> by_popularity = ItemsByPopularity();
  const std::string target = world->data.items.Name(by_popularity.back());
  std::vector<std::string> popular;
  for (int k = 0; k < 3; ++k) popular.push_back(world->data.items.Name(by_popularity[static_cast<size_t>(k)]));

  // The shop's real users (history in the seeded store) browse as usual,
  // popular items included.
  std::vector<std::string> real;
  for (int u = 0; u < 20; ++u) {
    real.push_back(world->data.users.Name(u));
    ASSERT_TRUE(RecordViews(real.back(), {popular[static_cast<size_t>(u % 3)], world->data.items.Name(u + 10)}).ok());
  }
  // 60 accounts nobody has seen, each viewing the target and the popular items.
  std::vector<std::string> fakes;
  for (int f = 0; f < 60; ++f) {
    fakes.push_back("swarm-" + std::to_string(f));
    std::vector<std::string> items = {target};
    items.insert(items.end(), popular.begin(), popular.end());
    const grpc::Status s = RecordViews(fakes.back(), items);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  v1::QuarantineStatus q = Quarantine();
  EXPECT_TRUE(q.enabled());
  EXPECT_EQ(q.users(), 60);
  EXPECT_EQ(q.swarm_users(), 60);
  EXPECT_EQ(q.burst_users(), 0);
  EXPECT_EQ(q.hammer_users(), 0);
  EXPECT_THAT(q.targeted_item_ids(), Contains(target));
  EXPECT_EQ(q.first_users_size(), 60);
  for (const auto& u : q.first_users()) {
    EXPECT_THAT(u.user_id(), StartsWith("swarm-"));
    EXPECT_EQ(u.signal(), "swarm");
    EXPECT_GT(u.since_unix_seconds(), 0);
  }
  std::vector<std::string> listed = ListedUsers();
  EXPECT_EQ(listed.size(), 60u);
  for (const std::string& user : real) EXPECT_THAT(listed, Not(Contains(user)));

  // Quarantined users' events are stored and shape their own answers: the
  // items they viewed are left out of their recommendations as seen.
  const v1::RecommendResponse answer = RecommendOk(fakes[0], 10);
  EXPECT_THAT(Ids(answer), Not(Contains(target)));

  grpc::ClientContext ctx;
  v1::ReleaseQuarantineRequest req;
  req.set_user_id(fakes[0]);
  v1::ReleaseQuarantineResponse resp;
  grpc::Status s = admin_->ReleaseQuarantine(&ctx, req, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.was_quarantined());
  q = Quarantine();
  EXPECT_EQ(q.users(), 59);
  EXPECT_THAT(ListedUsers(), Not(Contains(fakes[0])));
  // Their next view of the target is not a new find.
  ASSERT_TRUE(RecordViews(fakes[0], {target}).ok());
  EXPECT_EQ(Quarantine().users(), 59);

  grpc::ClientContext again;
  s = admin_->ReleaseQuarantine(&again, req, &resp);
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(resp.was_quarantined());
  grpc::ClientContext empty;
  req.clear_user_id();
  s = admin_->ReleaseQuarantine(&empty, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("user_id"));
}

class QuarantineOffDaemonTest : public QuarantineDaemonTest {
 protected:
  void SetUp() override {
    server_extra_ += ", shilling: {enabled: false}";
    QuarantineDaemonTest::SetUp();
  }
};

TEST_F(QuarantineOffDaemonTest, NothingIsCheckedWhenDisabledAndABadKeyIsRejectedByReload) {
  const std::string item = world->data.items.Name(0);
  for (int f = 0; f < 60; ++f) ASSERT_TRUE(RecordViews("swarm-" + std::to_string(f), {item}).ok());
  v1::QuarantineStatus q = Quarantine();
  EXPECT_FALSE(q.enabled());
  EXPECT_EQ(q.users(), 0);

  server_extra_ = ", admission: {max_queue_ms: 10000}, shilling: {swarm_share: 2}";
  WriteConfig(world->bundle_a, "");
  v1::ReloadConfigResponse resp;
  const grpc::Status s = Reload(&resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("server.shilling.swarm_share"));
  // A valid one is taken: checking starts with the reload.
  server_extra_ = ", admission: {max_queue_ms: 10000}, shilling: {enabled: true, swarm_accounts: 5}";
  WriteConfig(world->bundle_a, "");
  ASSERT_TRUE(Reload(&resp).ok());
  for (int f = 0; f < 6; ++f) ASSERT_TRUE(RecordViews("later-" + std::to_string(f), {item}).ok());
  q = Quarantine();
  EXPECT_TRUE(q.enabled());
  EXPECT_EQ(q.users(), 6);
}

}  // namespace
}  // namespace recd
