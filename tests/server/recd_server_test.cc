// Integration tests: the real daemon (RocksDB store, trained models, gRPC on
// a loopback port) driven through its public API.

#include "server/recd_server.h"

#include <grpcpp/grpcpp.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/health_check_service_interface.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "data/synthetic_generator.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "recd/data_source.h"
#include "recd/v1/recommender.grpc.pb.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"
#include "store/rocksdb_feature_store.h"
#include "train/bundle_trainer.h"
#include "test_util/daemon_fixture.h"

namespace recd {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

using RecdServerTest = DaemonTest;

TEST_F(RecdServerTest, ReturnsKDistinctCatalogItemsInScoreOrder) {
  const auto resp = RecommendOk("u1", 10);
  ASSERT_EQ(resp.items_size(), 10);
  std::set<std::string> seen;
  for (int i = 0; i < resp.items_size(); ++i) {
    EXPECT_TRUE(world->data.items.Find(resp.items(i).item_id()).has_value()) << resp.items(i).item_id();
    EXPECT_TRUE(seen.insert(resp.items(i).item_id()).second);
    if (i > 0) {
      EXPECT_LE(resp.items(i).score(), resp.items(i - 1).score());
    }
  }
  EXPECT_TRUE(resp.degraded().empty());
  EXPECT_FALSE(resp.request_id().empty());
  EXPECT_EQ(resp.model_versions().size(), 6u);
}

TEST_F(RecdServerTest, KIsHonoured) {
  EXPECT_EQ(RecommendOk("u2", 1).items_size(), 1);
  EXPECT_EQ(RecommendOk("u2", 7).items_size(), 7);
}

TEST_F(RecdServerTest, HistoryItemsAreNotRecommended) {
  const auto& history = world->data.histories[static_cast<size_t>(*world->data.users.Find("u3"))];
  std::set<std::string> had;
  for (const Event& e : history) had.insert(world->data.items.Name(e.item));
  for (const auto& id : Ids(RecommendOk("u3", 50))) EXPECT_FALSE(had.count(id)) << id;
}

TEST_F(RecdServerTest, FiltersAreHonoured) {
  const auto unfiltered = Ids(RecommendOk("u4", 5));
  v1::RecommendRequest req;
  req.set_user_id("u4");
  req.set_k(20);
  req.mutable_filters()->add_exclude_item_ids(unfiltered[0]);
  req.mutable_filters()->add_exclude_item_ids(unfiltered[1]);
  req.mutable_filters()->set_in_stock_only(true);
  const ItemInfo& first = world->data.item_info[static_cast<size_t>(*world->data.items.Find(unfiltered[2]))];
  ASSERT_FALSE(first.category_path.empty());
  const std::string top = first.category_path[0];
  req.mutable_filters()->add_allowed_categories(top);
  v1::RecommendResponse resp;
  ASSERT_TRUE(Recommend(req, &resp).ok());
  ASSERT_GT(resp.items_size(), 0);
  for (const auto& item : resp.items()) {
    EXPECT_NE(item.item_id(), unfiltered[0]);
    EXPECT_NE(item.item_id(), unfiltered[1]);
    const ItemInfo& info = world->data.item_info[static_cast<size_t>(*world->data.items.Find(item.item_id()))];
    EXPECT_TRUE(info.in_stock) << item.item_id();
    ASSERT_FALSE(info.category_path.empty());
    EXPECT_EQ(info.category_path[0], top) << item.item_id();
  }
}

TEST_F(RecdServerTest, ExplainedContributionsAddUpToTheScore) {
  const auto resp = RecommendOk("u5", 5, /*explain=*/true);
  ASSERT_EQ(resp.items_size(), 5);
  for (const auto& item : resp.items()) {
    ASSERT_GT(item.explanation().contributions_size(), 0);
    double sum = 0;
    for (const auto& c : item.explanation().contributions()) {
      EXPECT_NEAR(c.contribution(), c.weight() * c.normalized_score(), 1e-4);
      sum += c.contribution();
    }
    EXPECT_NEAR(sum, item.score(), 1e-3 * std::max(1.0, std::abs(sum)));
    EXPECT_FALSE(item.explanation().reason().empty());
  }
  // The reason names a history item the recommendation is similar to, and
  // only items the user really has.
  const auto& history = world->data.histories[static_cast<size_t>(*world->data.users.Find("u5"))];
  std::set<std::string> had;
  for (const Event& e : history) had.insert(world->data.items.Name(e.item));
  int named = 0;
  for (const auto& item : resp.items()) {
    const std::string& reason = item.explanation().reason();
    if (reason.rfind("similar to ", 0) != 0) continue;
    const std::string named_item = reason.substr(11, reason.find(' ', 11) - 11);
    EXPECT_TRUE(had.count(named_item)) << reason;
    ++named;
  }
  EXPECT_GT(named, 0);
}

TEST_F(RecdServerTest, RecordedEventsChangeTheNextAnswerAndSurviveRestart) {
  const auto before = Ids(RecommendOk("u6", 10));
  // A purchase of the top item: purchased items drop out at once.
  ASSERT_TRUE(Record("u6", before[0], v1::PURCHASE).ok());
  const auto after = Ids(RecommendOk("u6", 10));
  EXPECT_THAT(after, ::testing::Not(::testing::Contains(before[0])));
  EXPECT_NE(after, before);

  server_.reset();
  StartServer();
  const auto restarted = Ids(RecommendOk("u6", 10));
  EXPECT_EQ(restarted, after);
}

TEST_F(RecdServerTest, WithExcludeSeenOffViewedItemsMayReturnButPurchasesNever) {
  WriteConfig(world->bundle_a, "rules: {exclude_seen: false}\n");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  // Viewing the same item over and over makes it the user's strongest signal.
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(Record("seen-user", "i7", v1::VIEW).ok());
  EXPECT_THAT(Ids(RecommendOk("seen-user", 50)), ::testing::Contains("i7"));
  ASSERT_TRUE(Record("seen-user", "i7", v1::PURCHASE).ok());
  EXPECT_THAT(Ids(RecommendOk("seen-user", 50)), ::testing::Not(::testing::Contains("i7")));
}

TEST_F(RecdServerTest, NewUserIsServedFromTheirFirstClicks) {
  const auto cold = Ids(RecommendOk("brand-new-user", 10));
  EXPECT_EQ(cold.size(), 10u);
  ASSERT_TRUE(Record("brand-new-user", "i5", v1::VIEW).ok());
  ASSERT_TRUE(Record("brand-new-user", "i6", v1::CART).ok());
  const auto warm = Ids(RecommendOk("brand-new-user", 10));
  EXPECT_NE(warm, cold);
  EXPECT_THAT(warm, ::testing::Not(::testing::Contains("i5")));
}

TEST_F(RecdServerTest, WeightChangeThroughReloadChangesTheAnswer) {
  WriteConfig(world->bundle_a, "fusion: {version: only-pop, weights: {pop: 1}}\n");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  const auto pop_only = RecommendOk("u7", 10);
  WriteConfig(world->bundle_a, "fusion: {version: only-markov, weights: {markov: 1}}\n");
  ASSERT_TRUE(Reload(&reload).ok());
  const auto markov_only = RecommendOk("u7", 10);
  EXPECT_NE(Ids(pop_only), Ids(markov_only));
  EXPECT_NE(pop_only.config_version(), markov_only.config_version());
}

TEST_F(RecdServerTest, BadConfigIsRejectedAndTheOldOneKept) {
  const auto before = RecommendOk("u8", 10);
  for (const std::string bad : {"fusion: {weights: {mf: -2}}\n", "fusion: {weights: {nosuchmodel: 1}}\n",
                                "server: {max_k: [\n"}) {
    WriteConfig(world->bundle_a, bad);
    v1::ReloadConfigResponse reload;
    grpc::Status s = Reload(&reload);
    EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("recd.yaml")) << bad;
    EXPECT_THAT(s.error_message(), HasSubstr("kept config " + before.config_version())) << bad;
    const auto after = RecommendOk("u8", 10);
    EXPECT_EQ(Ids(after), Ids(before));
    EXPECT_EQ(after.config_version(), before.config_version());
  }
}

// logging.format applies on reload, as logging.level does: log lines become
// JSON objects, then text again.
TEST_F(RecdServerTest, LogFormatSwitchesToJsonOnReloadAndBack) {
  // A registered logger of its own: spdlog::set_formatter reaches every
  // registered logger, and the test reads only what it logged itself.
  // An ostream sink formats when logging (a ringbuffer sink would format
  // on reading, with whatever formatter is set then).
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("format_test", sink);
  spdlog::register_logger(logger);
  v1::ReloadConfigResponse reload;
  logging_extra_ = ", format: json";
  WriteConfig(world->bundle_a, "");
  const grpc::Status to_json = Reload(&reload);
  logger->warn("as \"json\"\n\xff");
  logging_extra_.clear();
  WriteConfig(world->bundle_a, "");
  const grpc::Status to_text = Reload(&reload);
  logger->warn("as text");
  spdlog::drop("format_test");
  ASSERT_TRUE(to_json.ok()) << to_json.error_message();
  ASSERT_TRUE(to_text.ok()) << to_text.error_message();
  const std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  ASSERT_TRUE(nlohmann::json::accept(lines[0])) << lines[0];
  EXPECT_EQ(nlohmann::json::parse(lines[0])["msg"], "as \"json\"\n\xEF\xBF\xBD");
  EXPECT_FALSE(nlohmann::json::accept(lines[1])) << lines[1];
  EXPECT_THAT(lines[1], HasSubstr("[format_test] [warning] as text"));
}

TEST_F(RecdServerTest, CorruptBundleIsRejectedAndTheRunningOneKept) {
  const auto before = RecommendOk("u13", 10);
  const fs::path broken = test_dir_ / "broken_bundle";
  fs::copy(world->bundle_a, broken, fs::copy_options::recursive);
  {
    // Flip one byte near the end of the MF tensors: the checksum must catch it.
    std::fstream f(broken / "1" / "mf" / "model.safetensors", std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-9, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-9, std::ios::end);
    f.put(static_cast<char>(c ^ 0x5a));
  }
  WriteConfig(broken, "");
  v1::ReloadConfigResponse reload;
  grpc::Status s = Reload(&reload);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.error_message(), HasSubstr("model.safetensors"));
  EXPECT_THAT(s.error_message(), HasSubstr("kept config " + before.config_version()));
  EXPECT_EQ(Ids(RecommendOk("u13", 10)), Ids(before));
}

TEST_F(RecdServerTest, ModelSwapDuringConcurrentRequestsFailsNone) {
  RecommendLoad load(channel_, 4);
  std::set<std::string> versions;
  for (int swap = 0; swap < 6; ++swap) {
    WriteConfig(swap % 2 == 0 ? world->bundle_b : world->bundle_a, "");
    v1::ReloadConfigResponse reload;
    grpc::Status s = Reload(&reload);
    EXPECT_TRUE(s.ok()) << s.error_message();
    versions.insert(reload.bundle_version());
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
  }
  load.Stop();
  EXPECT_EQ(load.failed(), 0);
  EXPECT_GT(load.ok(), 0);
  EXPECT_EQ(versions.size(), 2u);
}

TEST_F(RecdServerTest, BadInputGetsInvalidArgumentNamingTheField) {
  struct Case {
    std::function<void(v1::RecommendRequest&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {[](v1::RecommendRequest& r) { r.clear_user_id(); }, "user_id"},
      {[](v1::RecommendRequest& r) { r.set_k(0); }, "k"},
      {[](v1::RecommendRequest& r) { r.set_k(-3); }, "k"},
      {[](v1::RecommendRequest& r) { r.set_k(1000000); }, "k"},
      {[](v1::RecommendRequest& r) {
         for (int i = 0; i < 5000; ++i) r.add_recent_item_ids("i1");
       },
       "recent_item_ids"},
      {[](v1::RecommendRequest& r) { r.mutable_filters()->add_exclude_item_ids(""); }, "filters.exclude_item_ids[0]"},
  };
  for (const Case& c : cases) {
    v1::RecommendRequest req;
    req.set_user_id("u9");
    req.set_k(5);
    c.mutate(req);
    v1::RecommendResponse resp;
    grpc::Status s = Recommend(req, &resp);
    EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT) << c.field;
    EXPECT_THAT(s.error_message(), HasSubstr(c.field));
  }
}

TEST_F(RecdServerTest, UnknownIdsAreIgnoredAndReported) {
  v1::RecommendRequest req;
  req.set_user_id("u10");
  req.set_k(5);
  req.add_recent_item_ids("no-such-item");
  req.add_recent_item_ids("i3");
  v1::RecommendResponse resp;
  ASSERT_TRUE(Recommend(req, &resp).ok());
  EXPECT_EQ(resp.items_size(), 5);
  EXPECT_THAT(resp.ignored_item_ids(), ::testing::ElementsAre("no-such-item"));
}

TEST_F(RecdServerTest, BadEventsAreRejectedNamingTheField) {
  grpc::Status s = Record("u11", "no-such-item", v1::VIEW);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("events[0].item_id"));
  s = Record("u11", "i1", v1::EVENT_TYPE_UNSPECIFIED);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("events[0].type"));

  v1::RecordEventsRequest req;
  v1::Event* e = req.add_events();
  e->set_user_id("u11");
  e->set_item_id("i1");
  e->set_type(v1::VIEW);
  e->mutable_timestamp()->set_nanos(-5);
  v1::RecordEventsResponse resp;
  grpc::ClientContext ctx;
  s = recommender_->RecordEvents(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("events[0].timestamp"));
}

// ForgetUser erases the user durably: after a restart on the same store
// nothing of their history shapes their answers, and a second erasure finds
// nothing to erase.
TEST_F(RecdServerTest, ForgottenUserLeavesNoHistoryAcrossARestart) {
  const int all = static_cast<int>(world->data.num_items());
  const std::vector<std::string> before = Ids(RecommendOk("u12", all));
  ASSERT_FALSE(before.empty());
  ASSERT_TRUE(Record("u12", before[0], v1::PURCHASE).ok());
  ASSERT_THAT(Ids(RecommendOk("u12", all)), ::testing::Not(::testing::Contains(before[0])));

  auto forget = [&](v1::ForgetUserResponse* resp) {
    v1::ForgetUserRequest req;
    req.set_user_id("u12");
    grpc::ClientContext ctx;
    return admin_->ForgetUser(&ctx, req, resp);
  };
  v1::ForgetUserResponse resp;
  grpc::Status s = forget(&resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(resp.had_history());
  // Nothing of the history is left: no item is excluded as seen.
  EXPECT_EQ(RecommendOk("u12", all).items_size(), all);

  server_.reset();
  StartServer();
  EXPECT_EQ(RecommendOk("u12", all).items_size(), all);
  s = forget(&resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_FALSE(resp.had_history());

  v1::ForgetUserRequest empty;
  grpc::ClientContext ctx;
  s = admin_->ForgetUser(&ctx, empty, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("user_id"));
}

// A client that retries RecordEvents with the call's request_id (after a
// timeout, or an acknowledgement lost on the way) records its events once.
TEST_F(RecdServerTest, RetriedRecordEventsWithARequestIdRecordOnce) {
  v1::RecordEventsRequest req;
  req.set_request_id("9b2f6c1e-retry-test");
  for (const char* item : {"i3", "i4"}) {
    v1::Event* e = req.add_events();
    e->set_user_id("retrying-user");
    e->set_item_id(item);
    e->set_type(v1::VIEW);
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    v1::RecordEventsResponse resp;
    grpc::ClientContext ctx;
    grpc::Status s = recommender_->RecordEvents(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(resp.accepted(), 2);
  }
  req.set_request_id(std::string(kMaxRequestIdBytes + 1, 'x'));
  v1::RecordEventsResponse resp;
  grpc::ClientContext ctx;
  grpc::Status s = recommender_->RecordEvents(&ctx, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::INVALID_ARGUMENT);
  EXPECT_THAT(s.error_message(), HasSubstr("request_id"));

  server_.reset();
  RocksDbStoreOptions options;
  options.path = (test_dir_ / "store").string();
  auto store = RocksDbFeatureStore::Open(options);
  ASSERT_TRUE(store.ok()) << store.status();
  auto history = (*store)->GetHistory("retrying-user");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->events.size(), 2u);
  EXPECT_EQ(history->events[0].item_id, "i3");
  EXPECT_EQ(history->events[1].item_id, "i4");
}

// UpdateStock reaches the rules at once (no reload), is durable, and an
// unknown item changes nothing.
TEST_F(RecdServerTest, UpdateStockAppliesAtOnceAndSurvivesARestart) {
  auto in_stock_only = [&](const std::string& user) {
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_k(20);
    req.mutable_filters()->set_in_stock_only(true);
    v1::RecommendResponse resp;
    EXPECT_TRUE(Recommend(req, &resp).ok());
    return Ids(resp);
  };
  auto update = [&](const std::string& item, bool in_stock, const std::string& also = "") {
    v1::UpdateStockRequest req;
    auto* c = req.add_changes();
    c->set_item_id(item);
    c->set_in_stock(in_stock);
    if (!also.empty()) req.add_changes()->set_item_id(also);
    v1::UpdateStockResponse resp;
    grpc::ClientContext ctx;
    return recommender_->UpdateStock(&ctx, req, &resp);
  };
  const std::vector<std::string> before = in_stock_only("u13");
  ASSERT_FALSE(before.empty());
  const std::string top = before[0];
  ASSERT_TRUE(update(top, false).ok());
  EXPECT_THAT(in_stock_only("u13"), ::testing::Not(::testing::Contains(top)));

  grpc::Status s = update(before[1], false, "no-such-item");
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("changes[1].item_id"));
  EXPECT_THAT(in_stock_only("u13"), ::testing::Contains(before[1]));  // nothing of it applied

  server_.reset();
  StartServer();
  EXPECT_THAT(in_stock_only("u13"), ::testing::Not(::testing::Contains(top)));
  ASSERT_TRUE(update(top, true).ok());
  EXPECT_THAT(in_stock_only("u13"), ::testing::Contains(top));
}

TEST_F(RecdServerTest, SimilarItemsRanksOtherItemsAndRejectsUnknownOnes) {
  v1::SimilarItemsRequest req;
  req.set_item_id("i1");
  req.set_k(5);
  v1::SimilarItemsResponse resp;
  grpc::ClientContext ctx;
  ASSERT_TRUE(recommender_->SimilarItems(&ctx, req, &resp).ok());
  ASSERT_EQ(resp.items_size(), 5);
  for (const auto& item : resp.items()) EXPECT_NE(item.item_id(), "i1");

  req.set_item_id("no-such-item");
  grpc::ClientContext ctx2;
  grpc::Status s = recommender_->SimilarItems(&ctx2, req, &resp);
  EXPECT_EQ(s.error_code(), grpc::NOT_FOUND);
  EXPECT_THAT(s.error_message(), HasSubstr("item_id"));
}

TEST_F(RecdServerTest, SimilarItemsRankWithTheSimilarProfile) {
  auto similar = [&](v1::SimilarItemsResponse* resp) {
    v1::SimilarItemsRequest req;
    req.set_item_id("i1");
    req.set_k(10);
    grpc::ClientContext ctx;
    ASSERT_TRUE(recommender_->SimilarItems(&ctx, req, resp).ok());
  };
  v1::ReloadConfigResponse reload;
  WriteConfig(world->bundle_a, "fusion: {version: knn, weights: {knn: 1}}\n");
  ASSERT_TRUE(Reload(&reload).ok());
  v1::SimilarItemsResponse knn_weights;
  similar(&knn_weights);
  EXPECT_EQ(knn_weights.profile(), "");  // none named: the weights for one event
  WriteConfig(world->bundle_a, "fusion: {version: pop, weights: {pop: 1}}\n");
  ASSERT_TRUE(Reload(&reload).ok());
  v1::SimilarItemsResponse pop_weights;
  similar(&pop_weights);
  ASSERT_NE(Ids(pop_weights), Ids(knn_weights));
  WriteConfig(world->bundle_a,
              "fusion: {version: pop-similar-knn, weights: {pop: 1}, profiles: {also-viewed: {knn: 1}}, "
              "similar_profile: also-viewed}\n");
  ASSERT_TRUE(Reload(&reload).ok());
  v1::SimilarItemsResponse with_profile;
  similar(&with_profile);
  EXPECT_EQ(with_profile.profile(), "also-viewed");
  EXPECT_EQ(Ids(with_profile), Ids(knn_weights));
  EXPECT_NE(RecommendOk("u7", 10).config_version(), "");  // recommendations still served
}

// Cached model states must give exactly the answers of encoding afresh:
// repeat requests hit the cache, an event refreshes the cached user (on the
// event writer's thread, right after the write is acknowledged), and a
// daemon without the cache agrees with the result.
TEST_F(RecdServerTest, CachedUserStatesAnswerLikeFreshEncoding) {
  const auto first = Ids(RecommendOk("u7", 10));
  EXPECT_EQ(Ids(RecommendOk("u7", 10)), first);
  ASSERT_TRUE(Record("u7", first[3], v1::CART).ok());
  v1::GetStatusResponse status;
  for (int i = 0; i < 500; ++i) {  // the refresh follows the acknowledgement
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
    if (status.counters().at("states_refreshed") == 1) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  const auto after_event = Ids(RecommendOk("u7", 10));
  EXPECT_NE(after_event, first);
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  }
  EXPECT_EQ(status.counters().at("state_cache_misses"), 1);
  EXPECT_EQ(status.counters().at("state_cache_hits"), 2);
  EXPECT_EQ(status.counters().at("states_refreshed"), 1);
  // The repeat was read from the kept top list; the event made a new history.
  EXPECT_EQ(status.counters().at("result_cache_hits"), 1);
  EXPECT_EQ(status.counters().at("result_cache_misses"), 2);

  server_.reset();
  WriteConfig(world->bundle_a, "", ", state_cache_entries: 0");
  StartServer();
  EXPECT_EQ(Ids(RecommendOk("u7", 10)), after_event);
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  }
  EXPECT_EQ(status.counters().at("state_cache_hits"), 0);
}

// Requests answered from a user's cached top list (its rules and top k over
// the list) must equal the ranking the pipeline gives without the cache, for
// every kind of filter, with explanations.
TEST_F(RecdServerTest, ResultCacheAnswersEveryFilterAsRankingDoes) {
  auto ask = [&](const std::string& user, int variant) {
    v1::RecommendRequest req;
    req.set_user_id(user);
    req.set_k(variant == 3 ? 15 : 6);
    req.set_explain(true);
    const ItemInfo& info = world->data.item_info[0];
    if (variant == 1) req.mutable_filters()->add_exclude_item_ids(world->data.items.Name(1));
    if (variant == 2) req.mutable_filters()->set_in_stock_only(true);
    if (variant == 4 && !info.category_path.empty()) {
      req.mutable_filters()->add_allowed_categories(info.category_path[0]);
    }
    v1::RecommendResponse resp;
    EXPECT_TRUE(Recommend(req, &resp).ok());
    std::vector<std::string> answer;
    for (const auto& item : resp.items()) {
      answer.push_back(absl::StrCat(item.item_id(), "=", item.score(), ":", item.explanation().reason()));
      for (const auto& c : item.explanation().contributions()) {
        answer.push_back(absl::StrCat(c.model(), "=", c.raw_score(), "/", c.normalized_score()));
      }
    }
    return answer;
  };
  const std::vector<std::string> users = {"u1", "u2", "u3", "u9"};
  std::vector<std::vector<std::string>> cached;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& user : users) {
      for (int variant = 0; variant < 5; ++variant) cached.push_back(ask(user, variant));
    }
  }
  v1::GetStatusResponse status;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  }
  EXPECT_GT(status.counters().at("result_cache_hits"), 20);

  server_.reset();
  WriteConfig(world->bundle_a, "", ", result_cache_items: 0");
  StartServer();
  size_t i = 0;
  for (int round = 0; round < 2; ++round) {
    for (const std::string& user : users) {
      for (int variant = 0; variant < 5; ++variant) {
        EXPECT_EQ(ask(user, variant), cached[i++]) << user << " variant " << variant;
      }
    }
  }
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  }
  EXPECT_EQ(status.counters().at("result_cache_hits"), 0);
}

// A session's items extend the user's cached states for that request (the
// LSTM steps once per item) and must answer as encoding the whole history
// afresh does; such a request keeps nothing in the cache.
TEST_F(RecdServerTest, SessionItemsExtendCachedStatesAndAnswerAsFreshEncoding) {
  auto ask = [&] {
    v1::RecommendRequest req;
    req.set_user_id("u6");
    req.set_k(10);
    req.add_recent_item_ids(world->data.items.Name(3));
    req.add_recent_item_ids(world->data.items.Name(8));
    v1::RecommendResponse resp;
    EXPECT_TRUE(Recommend(req, &resp).ok());
    return resp;
  };
  RecommendOk("u6", 10);  // caches the stored history's states
  const v1::RecommendResponse extended = ask();
  v1::GetStatusResponse status;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  }
  EXPECT_EQ(status.counters().at("state_cache_hits"), 1);
  EXPECT_EQ(status.counters().at("result_cache_hits"), 0);

  server_.reset();
  WriteConfig(world->bundle_a, "", ", state_cache_entries: 0");
  StartServer();
  const v1::RecommendResponse fresh = ask();
  ASSERT_EQ(Ids(extended), Ids(fresh));
  for (int i = 0; i < fresh.items_size(); ++i) {
    EXPECT_NEAR(extended.items(i).score(), fresh.items(i).score(), 1e-5);
  }
}

// With the candidate stage forced on, answers still honour k, history and
// filters; a category the candidates miss is filled from the whole catalog.
TEST_F(RecdServerTest, CandidateStageAnswersHonourKHistoryAndCategories) {
  server_.reset();
  WriteConfig(world->bundle_a, "candidates: {full_scan_max_items: 0, per_source: 10}\n");
  StartServer();
  const auto& history = world->data.histories[static_cast<size_t>(*world->data.users.Find("u3"))];
  std::set<std::string> had;
  for (const Event& e : history) had.insert(world->data.items.Name(e.item));
  const auto ids = Ids(RecommendOk("u3", 10));
  EXPECT_EQ(ids.size(), 10u);
  EXPECT_EQ(std::set<std::string>(ids.begin(), ids.end()).size(), ids.size());
  for (const auto& id : ids) EXPECT_FALSE(had.count(id)) << id;

  // The full category path of the catalog's last item, which few users touch.
  const ItemInfo& last = world->data.item_info.back();
  ASSERT_FALSE(last.category_path.empty());
  const std::string category = absl::StrJoin(last.category_path, "/");
  v1::RecommendRequest req;
  req.set_user_id("u3");
  req.set_k(5);
  req.mutable_filters()->add_allowed_categories(category);
  v1::RecommendResponse resp;
  ASSERT_TRUE(Recommend(req, &resp).ok());
  int64_t available = 0;
  for (size_t i = 0; i < world->data.item_info.size(); ++i) {
    if (absl::StrJoin(world->data.item_info[i].category_path, "/") == category &&
        !had.count(world->data.items.Name(static_cast<int32_t>(i)))) {
      ++available;
    }
  }
  ASSERT_GT(available, 0);
  EXPECT_EQ(resp.items_size(), std::min<int64_t>(5, available));
}

// A reload that changes only search-time settings keeps the stage and its
// indexes; one that changes how they are built makes new ones.
TEST_F(RecdServerTest, SearchSettingsReloadWithoutRebuildingIndexes) {
  server_.reset();
  WriteConfig(world->bundle_a, "candidates: {full_scan_max_items: 0, per_source: 10}\n");
  StartServer();
  auto indexes_made = [&] {
    v1::GetStatusResponse status;
    grpc::ClientContext ctx;
    EXPECT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
    return status.counters().at("ann_index_builds") + status.counters().at("ann_index_loads");
  };
  const int64_t before = indexes_made();
  EXPECT_GT(before, 0);  // mf and lstm, built or loaded at start
  WriteConfig(world->bundle_a, "candidates: {full_scan_max_items: 0, per_source: 20, ann_ef_search: 300}\n");
  v1::ReloadConfigResponse reload;
  ASSERT_TRUE(Reload(&reload).ok());
  EXPECT_EQ(indexes_made(), before);
  EXPECT_EQ(RecommendOk("u3", 10).items_size(), 10);
  WriteConfig(world->bundle_a, "candidates: {full_scan_max_items: 0, per_source: 20, build_threads: 1}\n");
  ASSERT_TRUE(Reload(&reload).ok());
  EXPECT_GT(indexes_made(), before);
}

TEST_F(RecdServerTest, StatusReportsModelsAndCounters) {
  RecommendOk("u12", 3);
  v1::GetStatusResponse status;
  grpc::ClientContext ctx;
  ASSERT_TRUE(admin_->GetStatus(&ctx, {}, &status).ok());
  EXPECT_EQ(status.models_size(), 6);
  EXPECT_GE(status.requests().at("RecommendItems"), 1);
  // Models the tuned fusion gives no weight are never run.
  for (const auto& m : status.models()) EXPECT_EQ(m.calls() >= 1, m.weight() > 0) << m.name();
}

TEST_F(RecdServerTest, HealthCheckReportsServing) {
  grpc::ClientContext ctx;
  grpc::Slice empty("");
  grpc::ByteBuffer request(&empty, 1), response;
  // grpc.health.v1.HealthCheckRequest{service: ""} is the empty message.
  grpc::GenericStub generic(channel_);
  grpc::Status status;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  generic.UnaryCall(&ctx, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &request, &response,
                    [&](grpc::Status s) {
                      std::lock_guard<std::mutex> lock(mu);
                      status = s;
                      done = true;
                      cv.notify_one();
                    });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  EXPECT_TRUE(status.ok()) << status.error_message();
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_EQ(bytes, std::string("\x08\x01", 2));  // status: SERVING
}

}  // namespace
}  // namespace recd
