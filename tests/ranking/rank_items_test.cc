#include "ranking/rank_items.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/fake_scorer.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Items a..e; m1 prefers a, m2 prefers e.
class RankItemsTest : public ::testing::Test {
 protected:
  RankItemsTest() {
    IdMap items;
    for (const char* id : {"a", "b", "c", "d", "e"}) items.GetOrAdd(id);
    std::vector<std::unique_ptr<Scorer>> scorers;
    scorers.push_back(std::make_unique<FakeScorer>("m1", std::vector<float>{5, 4, 3, 2, 1}));
    scorers.push_back(std::make_unique<FakeScorer>("m2", std::vector<float>{1, 2, 3, 4, 50}));
    bundle_ = ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
    FusionConfig fusion;
    fusion.normalization = Normalization::kMinMax;
    fusion.weights = {{"m1", 1.0}, {"m2", 1.0}};
    pipeline_ = std::make_unique<RankingPipeline>(bundle_, fusion);
    context_.bundle = bundle_;
    context_.pipeline = pipeline_.get();
  }

  absl::StatusOr<RankItemsAnswer> Rank(std::vector<std::string> ids, bool rules = false) {
    RankItemsQuery query;
    query.user_id = "u";
    query.stored_history = history_;
    query.item_ids = std::move(ids);
    query.apply_rules = rules;
    return RankItemsForUser(context_, query, {}, nullptr);
  }

  static std::vector<std::string> Names(const RankItemsAnswer& a, const IdMap& items) {
    std::vector<std::string> names;
    for (const RankedItem& r : a.answer.ranking.items) names.push_back(items.Name(r.item));
    return names;
  }

  std::shared_ptr<const ModelBundle> bundle_;
  std::unique_ptr<RankingPipeline> pipeline_;
  RankingContext context_;
  std::vector<StoredEvent> history_;
};

TEST_F(RankItemsTest, ReturnsExactlyTheGivenItemsInTheCatalogRankingsOrder) {
  RankRequest whole;
  whole.k = 5;
  std::vector<std::string> catalog_order;
  for (const RankedItem& r : pipeline_->Rank(whole).items) catalog_order.push_back(bundle_->items().Name(r.item));
  auto answer = Rank({"d", "a", "e"});
  ASSERT_TRUE(answer.ok()) << answer.status();
  std::vector<std::string> expected;
  for (const std::string& id : catalog_order) {
    if (id == "a" || id == "d" || id == "e") expected.push_back(id);
  }
  EXPECT_EQ(Names(*answer, bundle_->items()), expected);
}

TEST_F(RankItemsTest, UnknownIdsAreDroppedAndReportedInOrder) {
  auto answer = Rank({"x", "b", "y"});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(Names(*answer, bundle_->items()), ElementsAre("b"));
  EXPECT_THAT(answer->unknown_ids, ElementsAre("x", "y"));
}

TEST_F(RankItemsTest, NoKnownIdIsAnEmptyAnswerNotTheCatalog) {
  auto answer = Rank({"x"});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(answer->answer.ranking.items, IsEmpty());
  EXPECT_THAT(answer->unknown_ids, ElementsAre("x"));
}

TEST_F(RankItemsTest, RepeatedIdIsInvalidArgumentNamingBothPositions) {
  auto answer = Rank({"a", "b", "a"});
  ASSERT_EQ(answer.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(answer.status().message(), HasSubstr("item_ids[2]: 'a' repeats item_ids[0]"));
  EXPECT_EQ(Rank({}).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RankItemsTest, HistoryItemsComeBackUnlessRulesAreAsked) {
  context_.exclude_seen = true;
  history_ = {StoredEvent{"a", EventType::kView, 1}};
  auto plain = Rank({"a", "b"});
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(plain->answer.ranking.items.size(), 2u);
  EXPECT_THAT(plain->filtered_ids, IsEmpty());
  auto ruled = Rank({"a", "b"}, true);
  ASSERT_TRUE(ruled.ok()) << ruled.status();
  EXPECT_THAT(Names(*ruled, bundle_->items()), ElementsAre("b"));
  EXPECT_THAT(ruled->filtered_ids, ElementsAre("a"));
}

}  // namespace
}  // namespace recd
