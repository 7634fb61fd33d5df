#include "eval/replay_evaluator.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "ranking/catalog_index.h"
#include "recd/feature_store_factory.h"
#include "test_util/fake_scorer.h"

namespace recd {
namespace {

using ::testing::ElementsAre;

// Items a..e; "m1" prefers them in that order, "m2" the other way round.
std::shared_ptr<const ModelBundle> TwoModelBundle() {
  IdMap items;
  for (const char* id : {"a", "b", "c", "d", "e"}) items.GetOrAdd(id);
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<FakeScorer>("m1", std::vector<float>{5, 4, 3, 2, 1}));
  scorers.push_back(std::make_unique<FakeScorer>("m2", std::vector<float>{1, 2, 3, 4, 5}));
  return ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
}

std::shared_ptr<const RankingPipeline> Only(const std::shared_ptr<const ModelBundle>& bundle,
                                            const char* model) {
  FusionConfig fusion;
  fusion.normalization = Normalization::kMinMax;
  fusion.weights = {{model, 1.0}};
  return std::make_shared<const RankingPipeline>(bundle, fusion);
}

class ReplayEvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override { MakeStore(200); }

  void MakeStore(int32_t max_history) {
    InMemoryStoreOptions options;
    options.max_history = max_history;
    store_ = NewInMemoryFeatureStore(options);
    auto catalog = CatalogIndex::Build(bundle_->items(), *store_);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    setup_.context.bundle = bundle_;
    setup_.context.catalog = std::make_shared<const CatalogIndex>(*std::move(catalog));
    setup_.arms = {{"", kExperimentBuckets, Only(bundle_, "m1"), nullptr, nullptr}};
    setup_.k = 2;
  }

  void Seed(const std::string& user, const std::vector<std::string>& items) {
    std::vector<StoredEvent> events;
    for (const std::string& item : items) events.push_back({item, EventType::kView, 1});
    ASSERT_TRUE(store_->AppendEvents(user, events).ok());
  }

  std::vector<int> Ranks(const ReplayEvaluation& e) {
    std::vector<int> ranks;
    for (const ReplayOutcome& o : e.outcomes)
      ranks.push_back(o.answered ? o.rank.value_or(-1) : -2);
    return ranks;
  }

  std::shared_ptr<const ModelBundle> bundle_ = TwoModelBundle();
  std::unique_ptr<FeatureStore> store_;
  ReplaySetup setup_;
};

ReplayEvent View(const std::string& user, const std::string& item, int64_t t) {
  return {user, item, EventType::kView, t};
}

TEST_F(ReplayEvaluatorTest, EachAskSeesTheUsersEarlierEventsOfTheLog) {
  // Had "a" not been recorded before the second ask, "b" would be 2nd there.
  auto e = EvaluateReplay({View("u1", "a", 10), View("u1", "b", 20), View("u1", "c", 30)}, setup_,
                          *store_);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(Ranks(*e), ElementsAre(0, 0, 0));
  auto history = store_->GetHistory("u1");
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->events.size(), 3u);
  EXPECT_EQ(history->events.back().timestamp, 30);  // the event's own time
}

TEST_F(ReplayEvaluatorTest, HistoryBeforeTheLogComesFromTheStore) {
  Seed("u1", {"a", "b"});
  auto e = EvaluateReplay({View("u1", "c", 10), View("u2", "c", 10)}, setup_, *store_);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(Ranks(*e), ElementsAre(0, -1));  // u2 has no history: [a, b]
  EXPECT_EQ(e->all.asked, 2);
  EXPECT_EQ(e->all.hits, 1);
}

TEST_F(ReplayEvaluatorTest, HistoryIsTrimmedAsTheStoreTrimsIt) {
  MakeStore(1);
  Seed("u1", {"a"});
  // After "b" the store keeps only "b": "a" is no longer seen and comes back.
  auto e = EvaluateReplay({View("u1", "b", 10), View("u1", "a", 20)}, setup_, *store_);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(Ranks(*e), ElementsAre(0, 0));
}

TEST_F(ReplayEvaluatorTest, UsersAreSplitByTheDaemonsBucketFunction) {
  setup_.salt = "replay-test";
  setup_.arms = {{"m1_arm", 5000, Only(bundle_, "m1"), nullptr, nullptr},
                 {"m2_arm", kExperimentBuckets, Only(bundle_, "m2"), nullptr, nullptr}};
  std::vector<ReplayEvent> log;
  for (int u = 0; u < 40; ++u) log.push_back(View(absl::StrCat("u", u), "e", u));
  auto e = EvaluateReplay(log, setup_, *store_);
  ASSERT_TRUE(e.ok()) << e.status();
  for (size_t n = 0; n < log.size(); ++n) {
    const bool first = ExperimentBucket("replay-test", log[n].user) < 5000;
    EXPECT_EQ(e->outcomes[n].arm, first ? "m1_arm" : "m2_arm") << log[n].user;
    // "e" is m2's best and m1's worst.
    EXPECT_EQ(e->outcomes[n].rank, first ? std::nullopt : std::optional<int>(0)) << log[n].user;
  }
  ASSERT_EQ(e->arms.size(), 2u);
  EXPECT_EQ(e->arms.at("m1_arm").hits, 0);
  EXPECT_EQ(e->arms.at("m2_arm").hits, e->arms.at("m2_arm").asked);
  EXPECT_EQ(e->arms.at("m1_arm").asked + e->arms.at("m2_arm").asked, 40);
}

TEST_F(ReplayEvaluatorTest, AnItemTheBundleDoesNotKnowIsAMissAndStillRecorded) {
  auto e = EvaluateReplay({View("u1", "zz", 10), View("u1", "a", 20)}, setup_, *store_);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_THAT(Ranks(*e), ElementsAre(-1, 0));
  EXPECT_EQ(store_->GetHistory("u1")->events.size(), 2u);
}

TEST_F(ReplayEvaluatorTest, NoArmIsAnError) {
  setup_.arms.clear();
  EXPECT_FALSE(EvaluateReplay({View("u1", "a", 10)}, setup_, *store_).ok());
}

}  // namespace
}  // namespace recd
