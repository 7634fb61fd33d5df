#include "store/history_cache.h"

#include <memory>

#include "gtest/gtest.h"

namespace recd {
namespace {

HistoryCache::Entry Make(int64_t ts) {
  auto h = std::make_shared<StoredHistory>();
  h->known = true;
  h->events.push_back({"a", EventType::kView, ts});
  return h;
}

TEST(HistoryCacheTest, EvictsLeastRecentlyUsed) {
  HistoryCache cache(/*capacity=*/2, /*num_shards=*/1);
  cache.Insert("u1", Make(1));
  cache.Insert("u2", Make(2));
  ASSERT_NE(cache.Lookup("u1"), nullptr);  // u2 is now the oldest
  cache.Insert("u3", Make(3));
  EXPECT_NE(cache.Lookup("u1"), nullptr);
  EXPECT_EQ(cache.Lookup("u2"), nullptr);
  EXPECT_NE(cache.Lookup("u3"), nullptr);
  EXPECT_EQ(cache.size(), 2u);
}

TEST(HistoryCacheTest, InsertReplacesAndEraseRemoves) {
  HistoryCache cache(4, 2);
  cache.Insert("u1", Make(1));
  cache.Insert("u1", Make(2));
  EXPECT_EQ(cache.Lookup("u1")->events[0].timestamp, 2);
  EXPECT_EQ(cache.size(), 1u);
  cache.Erase("u1");
  EXPECT_EQ(cache.Lookup("u1"), nullptr);
  cache.Erase("never-there");
}

TEST(HistoryCacheTest, ReaderKeepsEntryAliveAfterEviction) {
  HistoryCache cache(1, 1);
  cache.Insert("u1", Make(1));
  HistoryCache::Entry held = cache.Lookup("u1");
  cache.Insert("u2", Make(2));  // evicts u1
  EXPECT_EQ(cache.Lookup("u1"), nullptr);
  EXPECT_EQ(held->events[0].timestamp, 1);
}

TEST(HistoryCacheTest, ClearEmptiesEveryShard) {
  HistoryCache cache(100, 4);
  for (int i = 0; i < 20; ++i) cache.Insert("u" + std::to_string(i), Make(i));
  cache.Clear();
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace recd
