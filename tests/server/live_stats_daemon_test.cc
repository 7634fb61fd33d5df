// Learning during the day in a real daemon: events recorded over gRPC move
// SimilarItems and popularity through the live item statistics, without a
// new bundle; forgetting a user takes their events back out; memory stays
// within the configured bound.

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "absl/time/clock.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

class LiveStatsDaemonTest : public DaemonTest {
 protected:
  LiveStatsDaemonTest() {
    config_extra_ = "live: {enabled: true, publish_ms: 100, max_pairs: 5000, result_cache_lag_ms: 2000}\n";
  }

  void RecordOk(const std::vector<std::pair<std::string, std::string>>& user_items, v1::EventType type) {
    v1::RecordEventsRequest req;
    for (const auto& [user, item] : user_items) {
      v1::Event* e = req.add_events();
      e->set_user_id(user);
      e->set_item_id(item);
      e->set_type(type);
    }
    v1::RecordEventsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = recommender_->RecordEvents(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  std::map<std::string, int64_t> Counters() {
    v1::GetStatusResponse status;
    grpc::ClientContext ctx;
    EXPECT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
    return {status.counters().begin(), status.counters().end()};
  }

  // Polls `done` until it holds or `limit` passes; returns how long it took.
  template <typename Done>
  std::optional<absl::Duration> Await(Done done, absl::Duration limit = absl::Seconds(20)) {
    const absl::Time start = absl::Now();
    while (absl::Now() - start < limit) {
      if (done()) return absl::Now() - start;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  // Every catalog item's popularity score (the pop model's raw score), as
  // RankItems explains it for a shopper with no history.
  std::map<std::string, float> PopScores() {
    v1::RankItemsRequest req;
    req.set_user_id("nobody-yet");
    req.set_explain(true);
    for (int i = 0; i < 300; ++i) req.add_item_ids("i" + std::to_string(i));
    v1::RankItemsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = recommender_->RankItems(&ctx, req, &resp);
    EXPECT_TRUE(s.ok()) << s.error_message();
    std::map<std::string, float> scores;
    for (const auto& item : resp.items()) {
      for (const auto& c : item.explanation().contributions()) {
        if (c.model() == "pop") scores[item.item_id()] = c.raw_score();
      }
    }
    return scores;
  }

  // How many items are more popular than `item`.
  static int PopRank(const std::map<std::string, float>& scores, const std::string& item) {
    int rank = 0;
    for (const auto& [other, score] : scores) rank += score > scores.at(item) ? 1 : 0;
    return rank;
  }

  // An item ranked far down `item`'s similar items: absent from its top 10.
  std::string FarItem(const std::string& item) {
    const std::vector<std::string> all = Similar(item, 60);
    EXPECT_EQ(all.size(), 60u);
    return all.back();
  }

  // Users u0..u{n-1} each view two items of their own, i{u} then
  // i{u + 150}, in batches of 50 users.
  void PairOwnItems(int n) {
    for (int u = 0; u < n; u += 50) {
      std::vector<std::pair<std::string, std::string>> batch;
      for (int v = u; v < std::min(u + 50, n); ++v) {
        batch.push_back({"u" + std::to_string(v), "i" + std::to_string(v)});
        batch.push_back({"u" + std::to_string(v), "i" + std::to_string(v + 150)});
      }
      RecordOk(batch, v1::VIEW);
    }
  }

  // Users u0..u{n-1} (in the seeded store: not new accounts) view `a` then `b`.
  void CoView(const std::string& a, const std::string& b, int n) {
    for (int u = 0; u < n; ++u) RecordOk({{"u" + std::to_string(u), a}, {"u" + std::to_string(u), b}}, v1::VIEW);
  }
};

TEST_F(LiveStatsDaemonTest, ACoViewedItemJoinsSimilarItemsWithoutANewBundle) {
  const std::string a = "i10";
  const std::string b = FarItem(a);
  ASSERT_FALSE(HasId(Similar(a, 10), b));
  CoView(a, b, 5);
  const auto took = Await([&] { return HasId(Similar(a, 10), b); });
  ASSERT_TRUE(took.has_value()) << b << " never joined " << a << "'s similar items";
  std::printf("co-viewed item joined SimilarItems %.0f ms after the last event was recorded\n",
              absl::ToDoubleMilliseconds(*took));
  EXPECT_GE(Counters().at("live_events"), 10);
}

TEST_F(LiveStatsDaemonTest, LiveFusionWeightWeighsTheLiveModelApartFromKnn) {
  const auto weight_of_live = [&] {
    v1::GetStatusResponse status;
    grpc::ClientContext ctx;
    EXPECT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
    for (const auto& m : status.models()) {
      if (m.name() == "live") return m.weight();
    }
    return -1.0;  // no such model
  };
  EXPECT_EQ(weight_of_live(), 0.0);  // served, not weighed
  WriteConfig(world->bundle_a, "live: {enabled: true, publish_ms: 100, max_pairs: 5000, result_cache_lag_ms: 2000, "
                               "fusion_weight: 2}\n");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  EXPECT_EQ(weight_of_live(), 2.0);
  // A co-viewed item's SimilarItems explanation now carries the live model.
  const std::string a = "i10";
  const std::string b = FarItem(a);
  CoView(a, b, 5);
  const auto took = Await([&] { return HasId(Similar(a, 10), b); });
  ASSERT_TRUE(took.has_value()) << b << " never joined " << a << "'s similar items";
  v1::SimilarItemsRequest req;
  req.set_item_id(a);
  req.set_k(10);
  req.set_explain(true);
  v1::SimilarItemsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(recommender_->SimilarItems(&ctx, req, &resp).ok());
  float live_raw = -1;
  for (const auto& item : resp.items()) {
    if (item.item_id() != b) continue;
    for (const auto& c : item.explanation().contributions()) {
      if (c.model() == "live") live_raw = c.raw_score();
    }
  }
  EXPECT_GT(live_raw, 0.0f);
}

TEST_F(LiveStatsDaemonTest, ABurstOfPurchasesRaisesAnItemsPopularityAtOnce) {
  const auto before = PopScores();
  ASSERT_EQ(before.size(), 300u);
  // An item of middling popularity.
  std::vector<std::pair<float, std::string>> by_pop;
  for (const auto& [item, score] : before) by_pop.push_back({score, item});
  std::sort(by_pop.rbegin(), by_pop.rend());
  const std::string item = by_pop[150].second;
  ASSERT_GT(PopRank(before, item), 100);
  // 60 shoppers (not new accounts) buy it: 60 x the purchase weight, 5.
  for (int u = 100; u < 160; u += 20) {
    std::vector<std::pair<std::string, std::string>> batch;
    for (int v = u; v < u + 20; ++v) batch.push_back({"u" + std::to_string(v), item});
    RecordOk(batch, v1::PURCHASE);
  }
  std::map<std::string, float> after;
  const auto took = Await([&] {
    after = PopScores();
    return PopRank(after, item) == 0;
  });
  ASSERT_TRUE(took.has_value()) << item << " never became the most popular item; rank "
                                << PopRank(after, item);
  std::printf("the bought item became the most popular %.0f ms after the burst was recorded\n",
              absl::ToDoubleMilliseconds(*took));
  // Exactly the live count was added (a half-life of hours decays little in a test).
  EXPECT_NEAR(after.at(item) - before.at(item), 300.0, 0.5);
  EXPECT_EQ(after.at(by_pop[0].second), before.at(by_pop[0].second)) << "another item's count moved";
}

TEST_F(LiveStatsDaemonTest, ForgettingTheUsersTakesTheirEventsBackOut) {
  const std::string a = "i20";
  const std::string b = FarItem(a);
  const std::vector<std::string> before = Similar(a, 10);
  CoView(a, b, 3);
  ASSERT_TRUE(Await([&] { return HasId(Similar(a, 10), b); }).has_value());
  for (int u = 0; u < 3; ++u) {
    v1::ForgetUserRequest req;
    req.set_user_id("u" + std::to_string(u));
    v1::ForgetUserResponse resp;
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin_->ForgetUser(&ctx, req, &resp).ok());
  }
  // Only these users taught the overlay anything: it is empty again, and
  // the answer is exactly the one before their events.
  ASSERT_TRUE(Await([&] { return Similar(a, 10) == before; }).has_value())
      << "the forgotten users' co-views still shape " << a << "'s similar items";
  EXPECT_GT(Counters().at("live_forgotten_events"), 0);
}

TEST_F(LiveStatsDaemonTest, MemoryStaysWithinMaxPairsAndIsReported) {
  // 150 users, each pairing two items of their own: 450 entries offered.
  PairOwnItems(150);
  ASSERT_TRUE(Await([&] { return Counters().at("live_events") >= 300; }).has_value());
  // Reload with a bound the running overlay does not have: start-only.
  WriteConfig(world->bundle_a, "live: {enabled: true, publish_ms: 100, max_pairs: 100, result_cache_lag_ms: 2000}\n");
  v1::ReloadConfigResponse reload;
  grpc::Status s = Reload(&reload);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.error_message().find("live.max_pairs"), std::string::npos) << s.error_message();
  const auto counters = Counters();
  EXPECT_EQ(counters.at("live_max_pairs"), 5000);
  EXPECT_GT(counters.at("live_pairs"), 0);
  EXPECT_LE(counters.at("live_pairs"), 5000);
  EXPECT_GT(counters.at("live_memory_bytes"), 0);
}

TEST_F(LiveStatsDaemonTest, ACachedListServesWithinTheResultCacheLagOnly) {
  auto hits = [&] { return Counters().at("result_cache_hits"); };
  RecommendOk("u300", 10);
  const int64_t h0 = hits();
  RecommendOk("u300", 10);
  ASSERT_EQ(hits(), h0 + 1) << "u300's second request should be a result cache hit";
  // Someone else's events move the live statistics on.
  const int64_t g0 = Counters().at("live_generation");
  CoView("i1", "i2", 2);
  ASSERT_TRUE(Await([&] { return Counters().at("live_generation") > g0; }).has_value());
  RecommendOk("u300", 10);
  EXPECT_EQ(hits(), h0 + 2) << "within live.result_cache_lag_ms (2 s) the list still serves";
  // Past the lag with no newer publish, only lists of the latest do.
  absl::SleepFor(absl::Milliseconds(2500));
  RecommendOk("u300", 10);
  EXPECT_EQ(hits(), h0 + 2) << "a list ranked before the last publish served past the lag";
  RecommendOk("u300", 10);
  EXPECT_EQ(hits(), h0 + 3) << "the list ranked again is cached again";
}

class LiveStatsBoundDaemonTest : public LiveStatsDaemonTest {
 protected:
  LiveStatsBoundDaemonTest() { config_extra_ = "live: {enabled: true, publish_ms: 100, max_pairs: 50}\n"; }
};

TEST_F(LiveStatsBoundDaemonTest, PastMaxPairsTheWeakestEntriesAreDropped) {
  PairOwnItems(100);
  ASSERT_TRUE(Await([&] { return Counters().at("live_events") >= 200; }).has_value());
  const auto counters = Counters();
  EXPECT_LE(counters.at("live_pairs"), 50);
  EXPECT_GT(counters.at("live_pruned_pairs"), 0);
}

}  // namespace
}  // namespace recd
