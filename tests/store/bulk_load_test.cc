#include "recd/bulk_load.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/feature_store_factory.h"
#include "store/store_test_util.h"
#include "test_util/forwarding_feature_store.h"

namespace recd {
namespace {

using ::testing::ElementsAre;

Dataset SmallDataset() {
  Dataset d;
  for (const char* item : {"sku-a", "sku-b", "sku-c"}) d.items.GetOrAdd(item);
  d.item_info.resize(3);
  d.item_info[0].title = "A";
  d.item_info[1].category_path = {"Beauty"};
  d.item_info[2].in_stock = false;
  for (const char* user : {"alice", "bob", "carol"}) d.users.GetOrAdd(user);
  d.histories = {
      {{0, EventType::kView, 10}, {2, EventType::kPurchase, 11}}, {}, {{1, EventType::kCart, 5}}};
  return d;
}

TEST(BulkLoadTest, LoadsCatalogAndHistoriesWithExternalIds) {
  TempDir dir;
  RocksDbStoreOptions options;
  options.path = dir.Sub("db");
  auto store = OpenRocksDbFeatureStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  BulkLoadReport report;
  BulkLoadOptions load;
  load.items_per_batch = 2;
  load.users_per_batch = 2;
  load.seeded_from = "small";
  ASSERT_TRUE(LoadDatasetIntoStore(SmallDataset(), **store, load, &report).ok());
  EXPECT_EQ(report.items, 3);
  EXPECT_EQ(report.users, 2);  // bob has no events
  EXPECT_EQ(report.events, 3);
  EXPECT_EQ(report.batches, 4);  // 2 item batches + 2 user batches

  auto alice = (*store)->GetHistory("alice");
  ASSERT_TRUE(alice.ok());
  EXPECT_THAT(alice->events, ElementsAre(StoredEvent{"sku-a", EventType::kView, 10},
                                         StoredEvent{"sku-c", EventType::kPurchase, 11}));
  EXPECT_FALSE((*store)->GetHistory("bob")->known);
  EXPECT_EQ((*store)->GetItem("sku-a")->info.title, "A");
  EXPECT_FALSE((*store)->GetItem("sku-c")->info.in_stock);
  EXPECT_EQ(*(*store)->GetMeta("seeded_from"), "small");
}

TEST(BulkLoadTest, ProgressCountsEveryItemAndUserOnce) {
  TempDir dir;
  RocksDbStoreOptions options;
  options.path = dir.Sub("db");
  auto store = OpenRocksDbFeatureStore(options);
  ASSERT_TRUE(store.ok()) << store.status();
  BulkLoadOptions load;
  load.items_per_batch = 2;
  load.users_per_batch = 2;
  std::vector<int64_t> calls;
  load.on_rows = [&calls](int64_t rows) { calls.push_back(rows); };
  ASSERT_TRUE(LoadDatasetIntoStore(SmallDataset(), **store, load).ok());
  // Items 2 + 1, then users 2 + 1 (bob, without events, is counted too).
  EXPECT_THAT(calls, ElementsAre(2, 1, 2, 1));
}

TEST(BulkLoadTest, LoadedDataSurvivesReopen) {
  TempDir dir;
  RocksDbStoreOptions options;
  options.path = dir.Sub("db");
  {
    auto store = OpenRocksDbFeatureStore(options);
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE(LoadDatasetIntoStore(SmallDataset(), **store, {}).ok());
  }
  auto store = OpenRocksDbFeatureStore(options);
  ASSERT_TRUE(store.ok());
  EXPECT_THAT(Timestamps(*(*store)->GetHistory("carol")), ElementsAre(5));
  EXPECT_EQ((*store)->GetItem("sku-b")->info.category_path, std::vector<std::string>{"Beauty"});
}

// 40 users with 1..7 events each over 5 items.
Dataset ManyUsers() {
  Dataset d;
  for (int i = 0; i < 5; ++i) d.items.GetOrAdd("sku-" + std::to_string(i));
  d.item_info.resize(5);
  for (int u = 0; u < 40; ++u) {
    d.users.GetOrAdd("user-" + std::to_string(u));
    std::vector<Event>& h = d.histories.emplace_back();
    for (int e = 0; e <= u % 7; ++e) h.push_back({(u + e) % 5, EventType::kView, 100 * u + e});
  }
  return d;
}

TEST(BulkLoadTest, ReplaceLoadRerunAfterACrashEqualsACleanLoad) {
  TempDir dir;
  RocksDbStoreOptions options;
  options.path = dir.Sub("crashed");
  BulkLoadOptions load;
  load.users_per_batch = 5;
  load.replace_histories = true;
  load.seeded_from = "many";
  {
    auto store = OpenRocksDbFeatureStore(options);
    ASSERT_TRUE(store.ok()) << store.status();
    // The "crash": the 4th history batch and everything after it never lands.
    ForwardingFeatureStore crashing(store->get());
    crashing.fail_after_writes = 3;
    EXPECT_FALSE(LoadDatasetIntoStore(ManyUsers(), crashing, load).ok());
    EXPECT_TRUE(absl::IsNotFound((*store)->GetMeta("seeded_from").status()));
  }
  auto restarted = OpenRocksDbFeatureStore(options);
  ASSERT_TRUE(restarted.ok()) << restarted.status();
  ASSERT_TRUE(LoadDatasetIntoStore(ManyUsers(), **restarted, load).ok());

  options.path = dir.Sub("clean");
  auto clean = OpenRocksDbFeatureStore(options);
  ASSERT_TRUE(clean.ok()) << clean.status();
  ASSERT_TRUE(LoadDatasetIntoStore(ManyUsers(), **clean, load).ok());
  for (int u = 0; u < 40; ++u) {
    const std::string user = "user-" + std::to_string(u);
    EXPECT_EQ((*restarted)->GetHistory(user)->events, (*clean)->GetHistory(user)->events) << user;
  }
  EXPECT_EQ(*(*restarted)->GetMeta("seeded_from"), "many");
}

TEST(BulkLoadTest, RejectsEventForUnknownItemNamingUser) {
  Dataset d = SmallDataset();
  d.histories[2].push_back({7, EventType::kView, 6});
  auto store = NewInMemoryFeatureStore({});
  absl::Status s = LoadDatasetIntoStore(d, *store, {});
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("carol"));
}

TEST(BulkLoadTest, RejectsMismatchedItemInfo) {
  Dataset d = SmallDataset();
  d.item_info.pop_back();
  auto store = NewInMemoryFeatureStore({});
  EXPECT_TRUE(absl::IsInvalidArgument(LoadDatasetIntoStore(d, *store, {})));
}

}  // namespace
}  // namespace recd
