#include "ranking/request_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/in_memory_feature_store.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Items a (Beauty/Skin, in stock), b (Beauty/Hair, out of stock), c (Home).
class RequestRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"a", "b", "c"}) items_.GetOrAdd(id);
    InMemoryFeatureStore store(InMemoryStoreOptions{});
    std::vector<ItemRecord> rows(3);
    rows[0] = {"a", ItemInfo{.category_path = {"Beauty", "Skin"}}};
    rows[1] = {"b", ItemInfo{.category_path = {"Beauty", "Hair"}, .in_stock = false}};
    rows[2] = {"c", ItemInfo{.category_path = {"Home"}}};
    ASSERT_TRUE(store.PutItems(rows, StoreWriteOptions{}).ok());
    auto catalog = CatalogIndex::Build(items_, store);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = std::make_shared<const CatalogIndex>(*std::move(catalog));
  }

  std::vector<int32_t> Allowed(const RuleSpec& spec) {
    RankRequest request;
    std::vector<std::string> ignored;
    EXPECT_TRUE(ApplyRules(spec, items_, catalog_, nullptr, request, ignored).ok());
    std::vector<int32_t> out;
    for (int32_t i = 0; i < 3; ++i) {
      if (!request.allowed || request.allowed(i)) out.push_back(i);
    }
    return out;
  }

  IdMap items_;
  std::shared_ptr<const CatalogIndex> catalog_;
};

TEST_F(RequestRulesTest, CategoriesAndStockNarrowTheAllowedItems) {
  EXPECT_THAT(Allowed(RuleSpec{}), ElementsAre(0, 1, 2));
  EXPECT_THAT(Allowed(RuleSpec{.category = "Beauty"}), ElementsAre(0, 1));
  EXPECT_THAT(Allowed(RuleSpec{.in_stock_only = true, .category = "Beauty"}), ElementsAre(0));
  EXPECT_THAT(Allowed(RuleSpec{.allowed_categories = {"Home", "Beauty/Hair"}}), ElementsAre(1, 2));
  EXPECT_THAT(Allowed(RuleSpec{.allowed_categories = {"Beauty"}, .category = "Beauty/Skin"}), ElementsAre(0));
}

TEST_F(RequestRulesTest, UnknownCategoryIsAnErrorNamingTheField) {
  RankRequest request;
  std::vector<std::string> ignored;
  absl::Status s = ApplyRules(RuleSpec{.category = "Beauty/Ski"}, items_, catalog_, nullptr, request, ignored);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("category: unknown category 'Beauty/Ski'"));
  s = ApplyRules(RuleSpec{.allowed_categories = {"Home", "Garden"}}, items_, catalog_, nullptr, request, ignored);
  EXPECT_THAT(s.message(), HasSubstr("filters.allowed_categories[1]: unknown category 'Garden'"));
}

TEST_F(RequestRulesTest, ExclusionsAndPurchasesAreLeftOutUnknownIdsReported) {
  RankRequest request;
  std::vector<std::string> ignored;
  const absl::flat_hash_set<int32_t> purchased = {2};
  RuleSpec spec{.exclude_item_ids = {"a", "zz"}, .exclude_purchased = true};
  ASSERT_TRUE(ApplyRules(spec, items_, catalog_, &purchased, request, ignored).ok());
  EXPECT_THAT(request.exclude, ElementsAre(0, 2));
  EXPECT_THAT(ignored, ElementsAre("zz"));
}

TEST_F(RequestRulesTest, DiversityCapGroupsByCategory) {
  RankRequest request;
  std::vector<std::string> ignored;
  ASSERT_TRUE(ApplyRules(RuleSpec{.diversity_max_per_category = 1}, items_, catalog_, nullptr, request, ignored).ok());
  EXPECT_EQ(request.max_per_group, 1);
  EXPECT_NE(request.group_of(0), request.group_of(1));  // Beauty/Skin vs Beauty/Hair
}

}  // namespace
}  // namespace recd
