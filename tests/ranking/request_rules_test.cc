#include "ranking/request_rules.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "store/in_memory_feature_store.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Items a (Beauty/Skin, in stock), b (Beauty/Hair, out of stock), c (Home).
ItemInfo Info(std::vector<std::string> category_path, bool in_stock = true) {
  ItemInfo info;
  info.category_path = std::move(category_path);
  info.in_stock = in_stock;
  return info;
}

RuleSpec Rules(std::string category, std::vector<std::string> allowed_categories = {}, bool in_stock_only = false,
               int diversity_max_per_category = 0) {
  RuleSpec spec;
  spec.category = std::move(category);
  spec.allowed_categories = std::move(allowed_categories);
  spec.in_stock_only = in_stock_only;
  spec.diversity_max_per_category = diversity_max_per_category;
  return spec;
}

class RequestRulesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* id : {"a", "b", "c"}) items_.GetOrAdd(id);
    InMemoryFeatureStore store(InMemoryStoreOptions{});
    std::vector<ItemRecord> rows(3);
    rows[0] = {"a", Info({"Beauty", "Skin"})};
    rows[1] = {"b", Info({"Beauty", "Hair"}, /*in_stock=*/false)};
    rows[2] = {"c", Info({"Home"})};
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
  EXPECT_THAT(Allowed(Rules("Beauty")), ElementsAre(0, 1));
  EXPECT_THAT(Allowed(Rules("Beauty", {}, /*in_stock_only=*/true)), ElementsAre(0));
  EXPECT_THAT(Allowed(Rules("", {"Home", "Beauty/Hair"})), ElementsAre(1, 2));
  EXPECT_THAT(Allowed(Rules("Beauty/Skin", {"Beauty"})), ElementsAre(0));
}

TEST_F(RequestRulesTest, UnknownCategoryIsAnErrorNamingTheField) {
  RankRequest request;
  std::vector<std::string> ignored;
  absl::Status s = ApplyRules(Rules("Beauty/Ski"), items_, catalog_, nullptr, request, ignored);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("category: unknown category 'Beauty/Ski'"));
  s = ApplyRules(Rules("", {"Home", "Garden"}), items_, catalog_, nullptr, request, ignored);
  EXPECT_THAT(s.message(), HasSubstr("filters.allowed_categories[1]: unknown category 'Garden'"));
}

TEST_F(RequestRulesTest, ExclusionsAndPurchasesAreLeftOutUnknownIdsReported) {
  RankRequest request;
  std::vector<std::string> ignored;
  const absl::flat_hash_set<int32_t> purchased = {2};
  RuleSpec spec;
  spec.exclude_item_ids = {"a", "zz"};
  spec.exclude_purchased = true;
  ASSERT_TRUE(ApplyRules(spec, items_, catalog_, &purchased, request, ignored).ok());
  EXPECT_THAT(request.exclude, ElementsAre(0, 2));
  EXPECT_THAT(ignored, ElementsAre("zz"));
}

TEST_F(RequestRulesTest, DiversityCapGroupsByCategory) {
  RankRequest request;
  std::vector<std::string> ignored;
  ASSERT_TRUE(ApplyRules(Rules("", {}, false, /*diversity_max_per_category=*/1), items_, catalog_, nullptr, request, ignored).ok());
  EXPECT_EQ(request.max_per_group, 1);
  EXPECT_NE(request.group_of(0), request.group_of(1));  // Beauty/Skin vs Beauty/Hair
}

}  // namespace
}  // namespace recd
