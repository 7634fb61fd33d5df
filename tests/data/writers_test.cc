// WriteInteractionsCsv / WriteCatalogJsonl read back by the loaders.

#include <cmath>

#include "data/temp_file.h"
#include "gtest/gtest.h"
#include "recd/data_loaders.h"

namespace recd {
namespace {

using ::recd::testing_util::TestDir;

Dataset SampleDataset() {
  Dataset d;
  for (const char* u : {"u1", "user \"two\", the second"}) d.users.GetOrAdd(u);
  for (const char* i : {"i1", "i,2", "i3"}) d.items.GetOrAdd(i);
  d.histories = {{{0, EventType::kView, 10}, {1, EventType::kCart, 20}, {1, EventType::kPurchase, 20}},
                 {{2, EventType::kView, -5}, {0, EventType::kView, 7}}};
  d.item_info.resize(3);
  d.item_info[0] = {"Mug, large \"blue\"", {"Home", "Kitchen"}, "Acme", 19.99f, true, {"color=blue"}};
  d.item_info[1] = {"Lamp", {"Home"}, "", std::nanf(""), false, {}};
  d.item_info[2] = {"Ünïcode ✓", {}, "Brand", 0.0f, true, {"a", "b=c"}};
  return d;
}

TEST(WritersTest, InteractionsRoundTripThroughTheLoader) {
  const Dataset d = SampleDataset();
  const std::string path = (TestDir() / "events.csv").string();
  ASSERT_TRUE(WriteInteractionsCsv(d, path).ok());
  LoadOptions strict;
  strict.strict = true;
  auto back = LoadInteractions(path, strict, nullptr);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->users.names(), d.users.names());
  EXPECT_EQ(back->items.names(), d.items.names());
  ASSERT_EQ(back->histories.size(), d.histories.size());
  for (size_t u = 0; u < d.histories.size(); ++u) {
    ASSERT_EQ(back->histories[u].size(), d.histories[u].size());
    for (size_t k = 0; k < d.histories[u].size(); ++k) {
      EXPECT_EQ(back->histories[u][k].item, d.histories[u][k].item);
      EXPECT_EQ(back->histories[u][k].type, d.histories[u][k].type);
      EXPECT_EQ(back->histories[u][k].timestamp, d.histories[u][k].timestamp);
    }
  }
}

TEST(WritersTest, CatalogRoundTripsThroughTheLoader) {
  const Dataset d = SampleDataset();
  const std::string path = (TestDir() / "catalog.jsonl").string();
  ASSERT_TRUE(WriteCatalogJsonl(d, path).ok());
  Dataset back;
  LoadOptions strict;
  strict.strict = true;
  ASSERT_TRUE(LoadCatalog(path, &back, nullptr, strict).ok());
  ASSERT_EQ(back.items.names(), d.items.names());
  for (size_t i = 0; i < d.item_info.size(); ++i) {
    const ItemInfo& a = d.item_info[i];
    const ItemInfo& b = back.item_info[i];
    EXPECT_EQ(b.title, a.title);
    EXPECT_EQ(b.category_path, a.category_path);
    EXPECT_EQ(b.brand, a.brand);
    EXPECT_EQ(std::isnan(b.price), std::isnan(a.price));
    if (!std::isnan(a.price)) {
      EXPECT_EQ(b.price, a.price);  // bit-exact float
    }
    EXPECT_EQ(b.in_stock, a.in_stock);
    EXPECT_EQ(b.attributes, a.attributes);
  }
}

TEST(WritersTest, PricesAreWrittenInShortestForm) {
  Dataset d;
  d.items.GetOrAdd("i");
  d.item_info.resize(1);
  d.item_info[0].price = 19.99f;
  const std::string path = (TestDir() / "catalog.jsonl").string();
  ASSERT_TRUE(WriteCatalogJsonl(d, path).ok());
  EXPECT_NE(recd::testing_util::ReadFile(path).find("\"price\":19.99,"), std::string::npos)
      << recd::testing_util::ReadFile(path);
}

TEST(WritersTest, UnwritablePathIsAnError) {
  EXPECT_FALSE(WriteInteractionsCsv(SampleDataset(), "/nonexistent/dir/e.csv").ok());
  EXPECT_FALSE(WriteCatalogJsonl(SampleDataset(), "/nonexistent/dir/c.jsonl").ok());
}

}  // namespace
}  // namespace recd
