#include "ranking/cart_completion.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/in_memory_feature_store.h"
#include "test_util/fake_scorer.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Items a..e; m1 prefers a, m2 prefers e. The fusion ranks by m1, its
// cart profile by m2.
class CartCompletionTest : public ::testing::Test {
 protected:
  CartCompletionTest() {
    IdMap items;
    for (const char* id : {"a", "b", "c", "d", "e"}) items.GetOrAdd(id);
    std::vector<std::unique_ptr<Scorer>> scorers;
    scorers.push_back(std::make_unique<FakeScorer>("m1", std::vector<float>{5, 4, 3, 2, 1}));
    scorers.push_back(std::make_unique<FakeScorer>("m2", std::vector<float>{1, 2, 3, 4, 5}));
    bundle_ = ModelBundle::FromScorers(std::move(items), std::move(scorers), FusionConfig{});
    fusion_.weights = {{"m1", 1.0}};
    fusion_.profiles["cart"] = {{"m2", 1.0}};
    Build();
  }

  void Build() {
    pipeline_ = std::make_unique<RankingPipeline>(bundle_, fusion_);
    context_.bundle = bundle_;
    context_.pipeline = pipeline_.get();
  }

  absl::StatusOr<RecommendAnswer> Complete(std::vector<std::string> cart, int k = 5) {
    CartQuery query;
    query.cart_item_ids = std::move(cart);
    query.k = k;
    return CompleteCartForUser(context_, query, {}, nullptr);
  }

  std::vector<std::string> Names(const RecommendAnswer& a) {
    std::vector<std::string> names;
    for (const RankedItem& r : a.ranking.items) names.push_back(bundle_->items().Name(r.item));
    return names;
  }

  std::shared_ptr<const ModelBundle> bundle_;
  FusionConfig fusion_;
  std::unique_ptr<RankingPipeline> pipeline_;
  RankingContext context_;
};

TEST_F(CartCompletionTest, RanksWithTheCartProfileAndNeverReturnsACartItem) {
  context_.exclude_seen = false;  // the cart is left out even so
  auto answer = Complete({"e", "b"});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(Names(*answer), ElementsAre("d", "c", "a"));
}

TEST_F(CartCompletionTest, TheConfigNamesTheProfile) {
  fusion_.profiles["other"] = {{"m1", 1.0}};
  fusion_.cart_profile = "other";
  Build();
  auto answer = Complete({"a"}, 2);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(Names(*answer), ElementsAre("b", "c"));
}

TEST_F(CartCompletionTest, UnknownCartItemsAreIgnoredAndRepeatsCountOnce) {
  auto answer = Complete({"x", "e", "e"});
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(answer->ignored_ids, ElementsAre("x"));
  EXPECT_THAT(Names(*answer), ElementsAre("d", "c", "b", "a"));
}

TEST_F(CartCompletionTest, CartOfUnknownItemsIsNotFoundNamingTheField) {
  auto answer = Complete({"x", "y"});
  ASSERT_EQ(answer.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(answer.status().message(), HasSubstr("item_ids"));
}

// a, b: Phones; c: Phone cases; d: no category; e: Phones.
TEST_F(CartCompletionTest, SubstitutesOfTheCartAreLeftOutUnlessAsked) {
  InMemoryFeatureStore store(InMemoryStoreOptions{});
  std::vector<ItemRecord> rows(4);
  const char* ids[] = {"a", "b", "c", "e"};
  const std::vector<std::string> paths[] = {{"Phones"}, {"Phones"}, {"Phone cases"}, {"Phones"}};
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].item_id = ids[i];
    rows[i].info.category_path = paths[i];
  }
  ASSERT_TRUE(store.PutItems(rows, StoreWriteOptions{}).ok());
  auto catalog = CatalogIndex::Build(bundle_->items(), store);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  context_.catalog = std::make_shared<const CatalogIndex>(*std::move(catalog));
  CartQuery query;
  query.cart_item_ids = {"a"};
  query.k = 5;
  auto answer = CompleteCartForUser(context_, query, {}, nullptr);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(Names(*answer), ElementsAre("d", "c"));
  query.leave_out_substitutes = false;
  answer = CompleteCartForUser(context_, query, {}, nullptr);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_THAT(Names(*answer), ElementsAre("e", "d", "c", "b"));
}

TEST_F(CartCompletionTest, MissingProfileIsFailedPreconditionNotTheUsualWeights) {
  fusion_.cart_profile = "gone";
  Build();
  EXPECT_EQ(Complete({"a"}).status().code(), absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace recd
