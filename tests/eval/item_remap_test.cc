#include "eval/item_remap.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;

Dataset ThreeItems() {
  Dataset d;
  for (const char* item : {"a", "b", "c"}) d.items.GetOrAdd(item);
  d.item_info.resize(3);
  d.item_info[1].brand = "brand-of-b";
  d.users.GetOrAdd("u1");
  d.histories.push_back({{0, EventType::kView, 10}, {2, EventType::kCart, 20}, {1, EventType::kPurchase, 30}});
  return d;
}

TEST(RemapToItemsTest, ReordersIdsAndDropsEventsOnUnknownItems) {
  IdMap bundle_items;
  for (const char* item : {"b", "a", "z"}) bundle_items.GetOrAdd(item);  // no "c"; "z" only in the bundle
  const RemappedDataset r = RemapToItems(ThreeItems(), bundle_items);
  EXPECT_EQ(r.dropped_events, 1);
  EXPECT_EQ(r.data.items.names(), bundle_items.names());
  ASSERT_EQ(r.data.histories.size(), 1u);
  const auto& h = r.data.histories[0];
  ASSERT_EQ(h.size(), 2u);
  EXPECT_EQ(h[0].item, 1);  // "a"
  EXPECT_EQ(h[0].timestamp, 10);
  EXPECT_EQ(h[1].item, 0);  // "b"
  EXPECT_EQ(h[1].type, EventType::kPurchase);
  EXPECT_EQ(r.data.item_info.size(), 3u);
  EXPECT_EQ(r.data.item_info[0].brand, "brand-of-b");
  EXPECT_THAT(r.data.users.names(), ElementsAre("u1"));
}

TEST(RemapToItemsTest, TheSameItemsChangeNothing) {
  const Dataset d = ThreeItems();
  const RemappedDataset r = RemapToItems(d, d.items);
  EXPECT_EQ(r.dropped_events, 0);
  ASSERT_EQ(r.data.histories[0].size(), 3u);
  for (size_t i = 0; i < 3; ++i) EXPECT_EQ(r.data.histories[0][i].item, d.histories[0][i].item);
}

}  // namespace
}  // namespace recd
