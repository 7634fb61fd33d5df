// RankItems and CompleteCart on the real daemon over loopback gRPC.

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <map>
#include <set>

#include "data/synthetic_generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class RankItemsDaemonTest : public DaemonTest {
 protected:
  RankItemsDaemonTest() { server_extra_ += ", max_rank_items: 20, max_cart_items: 3"; }

  grpc::Status RankItems(const v1::RankItemsRequest& req, v1::RankItemsResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return recommender_->RankItems(&ctx, req, resp);
  }

  grpc::Status CompleteCart(const v1::CompleteCartRequest& req, v1::CompleteCartResponse* resp) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    return recommender_->CompleteCart(&ctx, req, resp);
  }

  static v1::RankItemsRequest RankBody(const std::string& user, const std::vector<std::string>& items) {
    v1::RankItemsRequest req;
    req.set_user_id(user);
    for (const std::string& id : items) req.add_item_ids(id);
    return req;
  }

  template <typename Response>
  static std::vector<std::string> ItemIds(const Response& r) {
    std::vector<std::string> ids;
    for (const auto& i : r.items()) ids.push_back(i.item_id());
    return ids;
  }
};

// The bar of issue 12: exactly the known items, reordered, scores
// non-increasing, in the order (and with the scores) a whole-catalog
// ranking of the user gives them; unknown ids dropped and reported.
TEST_F(RankItemsDaemonTest, RanksExactlyTheKnownItemsAsTheWholeCatalogRankingDoes) {
  const int catalog = static_cast<int>(world->data.items.size());
  const v1::RecommendResponse full = RecommendOk("u7", catalog);
  ASSERT_TRUE(full.degraded().empty());
  std::map<std::string, float> full_score;
  for (const auto& item : full.items()) full_score[item.item_id()] = item.score();
  // Every 7th item of the full ranking, given in reverse, with two unknown ids.
  std::vector<std::string> given;
  for (int i = 0; i < full.items_size() && given.size() < 12; i += 7) given.push_back(full.items(i).item_id());
  std::vector<std::string> expected = given;
  std::reverse(given.begin(), given.end());
  given.insert(given.begin() + 3, "no-such-item");
  given.push_back("nor-this");

  v1::RankItemsResponse resp;
  ASSERT_TRUE(RankItems(RankBody("u7", given), &resp).ok());
  EXPECT_TRUE(resp.degraded().empty());
  EXPECT_FALSE(resp.fallback());
  EXPECT_EQ(ItemIds(resp), expected);
  for (int i = 0; i < resp.items_size(); ++i) {
    EXPECT_NEAR(resp.items(i).score(), full_score.at(resp.items(i).item_id()), 1e-5);
    if (i > 0) {
      EXPECT_LE(resp.items(i).score(), resp.items(i - 1).score());
    }
  }
  EXPECT_THAT(resp.unknown_item_ids(), ElementsAre("no-such-item", "nor-this"));
  EXPECT_TRUE(resp.filtered_item_ids().empty());
  EXPECT_FALSE(resp.config_version().empty());

  // Bounds: server.max_rank_items (20 here), and each id at most once.
  std::vector<std::string> many;
  for (int i = 0; i < 21; ++i) many.push_back(world->data.items.Name(i));
  grpc::Status s = RankItems(RankBody("u7", many), &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("item_ids: at most 20"));
  s = RankItems(RankBody("u7", {"i1", "i2", "i1"}), &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("item_ids[2]"));
  s = RankItems(RankBody("u7", {}), &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);

  v1::GetStatusResponse status;
  grpc::ClientContext ctx;
  ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  EXPECT_EQ(status.requests().at("RankItems"), 4);
  EXPECT_EQ(status.errors().at("RankItems/INVALID_ARGUMENT"), 3);
}

// Rules only when asked: the user's own items come back unless the request
// asks for the rules (rules.exclude_seen), which then report them.
TEST_F(RankItemsDaemonTest, RulesApplyOnlyWhenAsked) {
  const auto user = world->data.users.Find("u7");
  ASSERT_TRUE(user.has_value());
  const std::string seen = world->data.items.Name(world->data.histories[static_cast<size_t>(*user)].back().item);
  const v1::RecommendResponse top = RecommendOk("u7", 2);
  ASSERT_EQ(top.items_size(), 2);
  const std::vector<std::string> given = {top.items(1).item_id(), seen, top.items(0).item_id()};

  v1::RankItemsResponse plain;
  ASSERT_TRUE(RankItems(RankBody("u7", given), &plain).ok());
  EXPECT_EQ(plain.items_size(), 3);
  EXPECT_TRUE(plain.filtered_item_ids().empty());

  v1::RankItemsRequest req = RankBody("u7", given);
  req.set_apply_rules(true);
  req.mutable_filters()->add_exclude_item_ids(top.items(1).item_id());
  v1::RankItemsResponse ruled;
  ASSERT_TRUE(RankItems(req, &ruled).ok());
  EXPECT_THAT(ItemIds(ruled), ElementsAre(top.items(0).item_id()));
  EXPECT_THAT(ruled.filtered_item_ids(), ElementsAre(top.items(1).item_id(), seen));
}

// The synthetic data plants complements: every main item (a phone) has 2-4
// accessories (its cases) that shoppers often view after carting it. For a
// cart of one of the ten busiest main items, an accessory comes first (the
// cart profile, with substitutes of the cart's category left out), and the
// cart's items never come back.
TEST_F(RankItemsDaemonTest, CompleteCartRanksAMainItemsAccessoriesFirst) {
  auto generator = SyntheticGenerator::Create(world->generator);
  ASSERT_TRUE(generator.ok()) << generator.status();
  std::map<std::string, int> events;  // by item id
  for (const auto& history : world->data.histories) {
    for (const Event& e : history) ++events[world->data.items.Name(e.item)];
  }
  std::vector<int32_t> mains;
  for (int32_t item = 0; item < (*generator)->num_items(); ++item) {
    if (!(*generator)->ComplementsOf(item).empty()) mains.push_back(item);
  }
  std::sort(mains.begin(), mains.end(), [&](int32_t a, int32_t b) {
    return events[SyntheticGenerator::ItemId(a)] > events[SyntheticGenerator::ItemId(b)];
  });
  mains.resize(std::min<size_t>(mains.size(), 10));
  int complement_first = 0;
  for (int32_t main : mains) {
    const std::string main_id = SyntheticGenerator::ItemId(main);
    std::set<std::string> complements;
    for (int32_t c : (*generator)->ComplementsOf(main)) complements.insert(SyntheticGenerator::ItemId(c));
    v1::CompleteCartRequest req;
    req.add_item_ids(main_id);
    req.set_k(5);
    v1::CompleteCartResponse resp;
    ASSERT_TRUE(CompleteCart(req, &resp).ok());
    EXPECT_EQ(resp.profile(), "cart");
    ASSERT_EQ(resp.items_size(), 5);
    int best = -1;  // rank of the first complement
    for (int i = 0; i < resp.items_size(); ++i) {
      EXPECT_NE(resp.items(i).item_id(), main_id);
      if (best < 0 && complements.count(resp.items(i).item_id())) best = i;
    }
    EXPECT_GE(best, 0) << "no accessory of " << main_id << " in the top 5";
    complement_first += best == 0;
  }
  EXPECT_GE(complement_first, 8) << "of " << mains.size();  // 10 of 10 on this data

  // A cart of two items and a user: neither comes back; unknown ids are
  // reported; limits.
  v1::CompleteCartRequest req;
  req.set_user_id("u7");
  req.add_item_ids(SyntheticGenerator::ItemId(mains[0]));
  req.add_item_ids("no-such-item");
  req.add_item_ids(SyntheticGenerator::ItemId(mains[1]));
  req.set_k(20);
  v1::CompleteCartResponse resp;
  ASSERT_TRUE(CompleteCart(req, &resp).ok());
  EXPECT_EQ(resp.items_size(), 20);
  for (const auto& item : resp.items()) {
    EXPECT_NE(item.item_id(), req.item_ids(0));
    EXPECT_NE(item.item_id(), req.item_ids(2));
  }
  EXPECT_THAT(resp.ignored_item_ids(), ElementsAre("no-such-item"));
  req.add_item_ids("i1");  // 4 > server.max_cart_items (3 here)
  grpc::Status s = CompleteCart(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("item_ids: at most 3"));
  req.clear_item_ids();
  req.add_item_ids("no-such-item");
  s = CompleteCart(req, &resp);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("item_ids"));
}

}  // namespace
}  // namespace recd
