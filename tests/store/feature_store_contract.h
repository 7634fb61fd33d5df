#ifndef RECD_TESTS_STORE_FEATURE_STORE_CONTRACT_H_
#define RECD_TESTS_STORE_FEATURE_STORE_CONTRACT_H_

// Behaviour every FeatureStore must have, as a typed test suite that each
// implementation instantiates (feature_store_contract_test.cc for the
// in-memory fake and RocksDB, store/redis/redis_feature_store_test.cc for
// Redis), so no implementation can drift from the others.
//
// An Impl provides
//   static std::string SkipReason();  // non-empty: the suite is skipped, saying why
//   static std::unique_ptr<FeatureStore> Make(const TempDir&, int32_t max_history);
// where every Make() returns a store that is empty.

#include <algorithm>
#include <cmath>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/feature_store.h"
#include "store/store_test_util.h"

namespace recd {

template <typename Impl>
class FeatureStoreContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = Impl::SkipReason(); !why.empty()) GTEST_SKIP() << why;
  }
  std::unique_ptr<FeatureStore> Make(int32_t max_history = 200) {
    return Impl::Make(dir_, max_history);
  }
  TempDir dir_;
};

TYPED_TEST_SUITE_P(FeatureStoreContractTest);

using ::testing::ElementsAre;

TYPED_TEST_P(FeatureStoreContractTest, AppendedEventsComeBackOldestFirst) {
  auto store = this->Make();
  std::vector<StoredEvent> first = {Ev("a", 10, EventType::kView), Ev("b", 11, EventType::kCart)};
  std::vector<StoredEvent> second = {Ev("c", 5, EventType::kPurchase)};  // a late arrival
  ASSERT_TRUE(store->AppendEvents("u1", first).ok());
  ASSERT_TRUE(store->AppendEvents("u1", second).ok());
  auto h = store->GetHistory("u1");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_TRUE(h->known);
  EXPECT_THAT(h->events, ElementsAre(first[0], first[1], second[0]));
}

TYPED_TEST_P(FeatureStoreContractTest, UnknownUserHasEmptyUnknownHistory) {
  auto store = this->Make();
  auto h = store->GetHistory("nobody");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->known);
  EXPECT_TRUE(h->events.empty());
}

TYPED_TEST_P(FeatureStoreContractTest, EmptyAppendDoesNotCreateUser) {
  auto store = this->Make();
  ASSERT_TRUE(store->AppendEvents("u1", {}).ok());
  EXPECT_FALSE(store->GetHistory("u1")->known);
}

TYPED_TEST_P(FeatureStoreContractTest, BoundedHistoryDropsOldest) {
  auto store = this->Make(/*max_history=*/5);
  ASSERT_TRUE(store->AppendEvents("u1", Events(0, 3)).ok());
  ASSERT_TRUE(store->AppendEvents("u1", Events(3, 4)).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(2, 3, 4, 5, 6));
  // One append longer than the bound keeps only its own newest events.
  ASSERT_TRUE(store->AppendEvents("u1", Events(100, 8)).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(103, 104, 105, 106, 107));
}

TYPED_TEST_P(FeatureStoreContractTest, RejectsInvalidAppendsNamingTheProblem) {
  auto store = this->Make();
  EXPECT_TRUE(absl::IsInvalidArgument(store->AppendEvents("", Events(0, 1))));
  std::vector<StoredEvent> no_item = {Ev("a", 1), Ev("", 2)};
  absl::Status s = store->AppendEvents("u1", no_item);
  EXPECT_TRUE(absl::IsInvalidArgument(s));
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("event 1"));
  std::vector<StoredEvent> bad_type = {StoredEvent{"a", static_cast<EventType>(9), 1}};
  EXPECT_TRUE(absl::IsInvalidArgument(store->AppendEvents("u1", bad_type)));
  // Nothing of a rejected append is stored.
  EXPECT_FALSE(store->GetHistory("u1")->known);
}

TYPED_TEST_P(FeatureStoreContractTest, BatchAppendsToManyUsersAndRepeatsInOrder) {
  auto store = this->Make(/*max_history=*/4);
  ASSERT_TRUE(store->AppendEvents("u1", Events(0, 1)).ok());
  std::vector<UserEvents> batch = {
      {"u1", Events(1, 2)}, {"u2", Events(10, 1)}, {"u1", Events(3, 2)}, {"u3", {}}};
  ASSERT_TRUE(store->AppendEventsBatch(batch, {.sync = false}).ok());
  ASSERT_TRUE(store->Flush().ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(Timestamps(*store->GetHistory("u2")), ElementsAre(10));
  EXPECT_FALSE(store->GetHistory("u3")->known);
}

TYPED_TEST_P(FeatureStoreContractTest, InvalidBatchWritesNothing) {
  auto store = this->Make();
  std::vector<UserEvents> batch = {{"u1", Events(0, 1)}, {"", Events(1, 1)}};
  EXPECT_TRUE(absl::IsInvalidArgument(store->AppendEventsBatch(batch, {})));
  EXPECT_FALSE(store->GetHistory("u1")->known);
}

TYPED_TEST_P(FeatureStoreContractTest, RetriedRequestIdsAreAppliedOnce) {
  auto store = this->Make();
  const std::vector<UserEvents> call = {{"u1", Events(0, 2), "r1"}, {"u2", Events(10, 1), "r1"}};
  for (int attempt = 0; attempt < 3; ++attempt) ASSERT_TRUE(store->AppendEventsBatch(call, {}).ok());
  // A retry queued beside its original in one batch is skipped too.
  const std::vector<UserEvents> twice = {{"u1", Events(20, 1), "r2"}, {"u1", Events(20, 1), "r2"}};
  ASSERT_TRUE(store->AppendEventsBatch(twice, {}).ok());
  // Appends without an id keep the ids remembered.
  ASSERT_TRUE(store->AppendEvents("u1", Events(30, 1)).ok());
  ASSERT_TRUE(store->AppendEventsBatch(call, {}).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1, 20, 30));
  EXPECT_THAT(Timestamps(*store->GetHistory("u2")), ElementsAre(10));
  // The same id for another user, or a new id, is a new call.
  ASSERT_TRUE(store->AppendEventsBatch(std::vector<UserEvents>{{"u3", Events(40, 1), "r1"}}, {}).ok());
  ASSERT_TRUE(store->AppendEventsBatch(std::vector<UserEvents>{{"u1", Events(50, 1), "r3"}}, {}).ok());
  EXPECT_THAT(Timestamps(*store->GetHistory("u3")), ElementsAre(40));
  EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(0, 1, 20, 30, 50));
}

TYPED_TEST_P(FeatureStoreContractTest, OnlyTheNewestRequestIdsAreRemembered) {
  auto store = this->Make();
  for (int i = 0; i <= static_cast<int>(kRememberedRequestIds); ++i) {
    const std::vector<UserEvents> call = {{"u1", Events(i, 1), "r" + std::to_string(i)}};
    ASSERT_TRUE(store->AppendEventsBatch(call, {}).ok());
  }
  const auto newest = "r" + std::to_string(kRememberedRequestIds);
  ASSERT_TRUE(store->AppendEventsBatch(std::vector<UserEvents>{{"u1", Events(100, 1), newest}}, {}).ok());
  EXPECT_EQ(store->GetHistory("u1")->events.size(), kRememberedRequestIds + 1);
  // r0 has left the window: a retry this late is a new call.
  ASSERT_TRUE(store->AppendEventsBatch(std::vector<UserEvents>{{"u1", Events(200, 1), "r0"}}, {}).ok());
  EXPECT_EQ(Timestamps(*store->GetHistory("u1")).back(), 200);
}

TYPED_TEST_P(FeatureStoreContractTest, ConcurrentRetriesOfOneRequestApplyOnce) {
  auto store = this->Make();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      const std::vector<UserEvents> call = {{"hot", Events(0, 3), "once"}};
      for (int i = 0; i < 20; ++i) EXPECT_TRUE(store->AppendEventsBatch(call, {}).ok());
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_THAT(Timestamps(*store->GetHistory("hot")), ElementsAre(0, 1, 2));
}

TYPED_TEST_P(FeatureStoreContractTest, OverlongRequestIdIsRefusedAndWritesNothing) {
  auto store = this->Make();
  const std::vector<UserEvents> call = {{"u1", Events(0, 1), std::string(kMaxRequestIdBytes + 1, 'x')}};
  absl::Status s = store->AppendEventsBatch(call, {});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("request id"));
  EXPECT_FALSE(store->GetHistory("u1")->known);
}

TYPED_TEST_P(FeatureStoreContractTest, ReplaceSetsWholeHistoriesAndIsIdempotent) {
  auto store = this->Make(/*max_history=*/3);
  ASSERT_TRUE(store->AppendEvents("u1", Events(0, 2)).ok());
  std::vector<UserEvents> batch = {{"u1", Events(10, 2)}, {"u2", Events(20, 5)}, {"u3", {}}};
  for (int run = 0; run < 2; ++run) {
    ASSERT_TRUE(store->ReplaceHistoriesBatch(batch, {.sync = false}).ok());
    EXPECT_THAT(Timestamps(*store->GetHistory("u1")), ElementsAre(10, 11));
    EXPECT_THAT(Timestamps(*store->GetHistory("u2")), ElementsAre(22, 23, 24));
    EXPECT_FALSE(store->GetHistory("u3")->known);
  }
}

TYPED_TEST_P(FeatureStoreContractTest, ReplaceRefusesARepeatedUserAndWritesNothing) {
  auto store = this->Make();
  std::vector<UserEvents> batch = {{"u1", Events(0, 1)}, {"u2", Events(1, 1)}, {"u1", Events(2, 1)}};
  absl::Status s = store->ReplaceHistoriesBatch(batch, {});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("'u1'"));
  EXPECT_FALSE(store->GetHistory("u2")->known);
}

TYPED_TEST_P(FeatureStoreContractTest, ItemRoundTripKeepsEveryField) {
  auto store = this->Make();
  ItemRecord item{"sku-1", {}};
  item.info.title = "Face cream";
  item.info.category_path = {"Beauty", "Skin", "Moisturisers"};
  item.info.brand = "Acme";
  item.info.price = 12.5f;
  item.info.in_stock = false;
  item.info.attributes = {"a1", "a2"};
  ItemRecord bare{"sku-2", {}};  // an item seen only in logs: NaN price
  ASSERT_TRUE(store->PutItems(std::vector<ItemRecord>{item, bare}, {}).ok());
  auto got = store->GetItem("sku-1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->item_id, "sku-1");
  EXPECT_EQ(got->info.title, "Face cream");
  EXPECT_THAT(got->info.category_path, ElementsAre("Beauty", "Skin", "Moisturisers"));
  EXPECT_EQ(got->info.brand, "Acme");
  EXPECT_EQ(got->info.price, 12.5f);
  EXPECT_FALSE(got->info.in_stock);
  EXPECT_THAT(got->info.attributes, ElementsAre("a1", "a2"));
  auto got_bare = store->GetItem("sku-2");
  ASSERT_TRUE(got_bare.ok());
  EXPECT_TRUE(std::isnan(got_bare->info.price));
  EXPECT_TRUE(got_bare->info.in_stock);
}

TYPED_TEST_P(FeatureStoreContractTest, MissingItemIsNotFoundNamingIt) {
  auto store = this->Make();
  auto got = store->GetItem("sku-404");
  EXPECT_TRUE(absl::IsNotFound(got.status()));
  EXPECT_THAT(std::string(got.status().message()), ::testing::HasSubstr("sku-404"));
  EXPECT_TRUE(absl::IsNotFound(store->SetStock("sku-404", true)));
}

TYPED_TEST_P(FeatureStoreContractTest, SetStockChangesOnlyStock) {
  auto store = this->Make();
  ItemRecord item{"sku-1", {}};
  item.info.title = "Mug";
  item.info.price = 3.0f;
  ASSERT_TRUE(store->PutItems(std::vector<ItemRecord>{item}, {}).ok());
  ASSERT_TRUE(store->SetStock("sku-1", false).ok());
  auto got = store->GetItem("sku-1");
  ASSERT_TRUE(got.ok());
  EXPECT_FALSE(got->info.in_stock);
  EXPECT_EQ(got->info.title, "Mug");
  EXPECT_EQ(got->info.price, 3.0f);
}

TYPED_TEST_P(FeatureStoreContractTest, ForEachItemVisitsAllInIdOrderAndStopsOnError) {
  auto store = this->Make();
  std::vector<ItemRecord> items = {{"c", {}}, {"a", {}}, {"b", {}}};
  ASSERT_TRUE(store->PutItems(items, {}).ok());
  std::vector<std::string> seen;
  ASSERT_TRUE(store
                  ->ForEachItem([&](const ItemRecord& r) {
                    seen.push_back(r.item_id);
                    return absl::OkStatus();
                  })
                  .ok());
  EXPECT_THAT(seen, ElementsAre("a", "b", "c"));
  int calls = 0;
  absl::Status s = store->ForEachItem([&](const ItemRecord&) {
    ++calls;
    return absl::CancelledError("enough");
  });
  EXPECT_TRUE(absl::IsCancelled(s));
  EXPECT_EQ(calls, 1);
}

TYPED_TEST_P(FeatureStoreContractTest, ProfileRoundTripIsBinarySafe) {
  auto store = this->Make();
  const std::string blob("\x00\x01\xff state", 9);
  ASSERT_TRUE(store->PutProfile("u1", blob).ok());
  auto got = store->GetProfile("u1");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, blob);
  EXPECT_TRUE(absl::IsNotFound(store->GetProfile("u2").status()));
}

TYPED_TEST_P(FeatureStoreContractTest, ForgetUserDeletesHistoryAndProfileAndRecordsTheId) {
  auto store = this->Make();
  ASSERT_TRUE(store->AppendEvents("u1", std::vector<StoredEvent>{Ev("a", 10, EventType::kPurchase)}).ok());
  ASSERT_TRUE(store->PutProfile("u1", "state").ok());
  ASSERT_TRUE(store->AppendEvents("u2", std::vector<StoredEvent>{Ev("b", 11, EventType::kView)}).ok());
  ASSERT_TRUE(store->GetHistory("u1").ok());  // cached, where a store caches
  ASSERT_TRUE(store->ForgetUser("u1").ok());
  auto h = store->GetHistory("u1");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_FALSE(h->known);
  EXPECT_TRUE(h->events.empty());
  EXPECT_TRUE(absl::IsNotFound(store->GetProfile("u1").status()));
  auto when = store->GetMeta(ForgottenUserKey("u1"));
  ASSERT_TRUE(when.ok()) << when.status();
  EXPECT_GT(std::stoll(*when), 1'700'000'000);
  EXPECT_EQ(store->GetHistory("u2")->events.size(), 1u) << "another user is untouched";
  // Events after it start a new history; an unknown user is recorded too.
  ASSERT_TRUE(store->AppendEvents("u1", std::vector<StoredEvent>{Ev("c", 12, EventType::kView)}).ok());
  EXPECT_THAT(store->GetHistory("u1")->events, ElementsAre(Ev("c", 12, EventType::kView)));
  EXPECT_TRUE(store->ForgetUser("never-seen").ok());
  EXPECT_TRUE(store->GetMeta(ForgottenUserKey("never-seen")).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(store->ForgetUser("")));
}

TYPED_TEST_P(FeatureStoreContractTest, MetaRoundTripAndOverwrite) {
  auto store = this->Make();
  ASSERT_TRUE(store->PutMeta("schema_version", "1").ok());
  ASSERT_TRUE(store->PutMeta("schema_version", "2").ok());
  EXPECT_EQ(*store->GetMeta("schema_version"), "2");
  EXPECT_TRUE(absl::IsNotFound(store->GetMeta("seeded_from").status()));
}

TYPED_TEST_P(FeatureStoreContractTest, CountsUsersAndItems) {
  auto store = this->Make();
  ASSERT_TRUE(store->AppendEvents("u1", Events(0, 1)).ok());
  ASSERT_TRUE(store->AppendEvents("u2", Events(0, 1)).ok());
  ASSERT_TRUE(store->PutItems(std::vector<ItemRecord>{{"a", {}}}, {}).ok());
  ASSERT_TRUE(store->Flush().ok());  // RocksDB estimates are exact once flushed
  auto counts = store->ApproximateCounts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->users, 2);
  EXPECT_EQ(counts->items, 1);
}

TYPED_TEST_P(FeatureStoreContractTest, ConcurrentAppendsLoseNothing) {
  // 4 threads x 50 appends of 2 events: every thread writes to the shared
  // user "hot" and to its own user; nothing may be lost to a racing
  // read-modify-write. max_history is large enough to keep everything.
  constexpr int kThreads = 4, kAppends = 50, kPerAppend = 2;
  auto store = this->Make(/*max_history=*/kThreads * kAppends * kPerAppend);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "own" + std::to_string(t);
      for (int i = 0; i < kAppends; ++i) {
        std::vector<StoredEvent> events;
        for (int k = 0; k < kPerAppend; ++k) {
          events.push_back(Ev("t" + std::to_string(t), (t * kAppends + i) * kPerAppend + k));
        }
        EXPECT_TRUE(store->AppendEvents("hot", events).ok());
        EXPECT_TRUE(store->AppendEvents(own, events).ok());
        EXPECT_TRUE(store->GetHistory("hot").ok());
      }
    });
  }
  for (auto& th : threads) th.join();

  auto hot = store->GetHistory("hot");
  ASSERT_TRUE(hot.ok());
  std::vector<int64_t> ts = Timestamps(*hot);
  ASSERT_EQ(ts.size(), size_t{kThreads * kAppends * kPerAppend});
  std::sort(ts.begin(), ts.end());
  for (size_t i = 0; i < ts.size(); ++i) ASSERT_EQ(ts[i], static_cast<int64_t>(i));
  for (int t = 0; t < kThreads; ++t) {
    auto own = store->GetHistory("own" + std::to_string(t));
    ASSERT_TRUE(own.ok());
    EXPECT_EQ(own->events.size(), size_t{kAppends * kPerAppend});
    // One writer per own user: its events stay in append order.
    EXPECT_TRUE(
        std::is_sorted(own->events.begin(), own->events.end(),
                       [](const auto& a, const auto& b) { return a.timestamp < b.timestamp; }));
  }
}

REGISTER_TYPED_TEST_SUITE_P(FeatureStoreContractTest,
                            AppendedEventsComeBackOldestFirst,
                            UnknownUserHasEmptyUnknownHistory,
                            EmptyAppendDoesNotCreateUser,
                            BoundedHistoryDropsOldest,
                            RejectsInvalidAppendsNamingTheProblem,
                            BatchAppendsToManyUsersAndRepeatsInOrder,
                            InvalidBatchWritesNothing,
                            RetriedRequestIdsAreAppliedOnce,
                            OnlyTheNewestRequestIdsAreRemembered,
                            ConcurrentRetriesOfOneRequestApplyOnce,
                            OverlongRequestIdIsRefusedAndWritesNothing,
                            ReplaceSetsWholeHistoriesAndIsIdempotent,
                            ReplaceRefusesARepeatedUserAndWritesNothing,
                            ItemRoundTripKeepsEveryField,
                            MissingItemIsNotFoundNamingIt,
                            SetStockChangesOnlyStock,
                            ForEachItemVisitsAllInIdOrderAndStopsOnError,
                            ProfileRoundTripIsBinarySafe,
                            ForgetUserDeletesHistoryAndProfileAndRecordsTheId,
                            MetaRoundTripAndOverwrite,
                            CountsUsersAndItems,
                            ConcurrentAppendsLoseNothing);

}  // namespace recd

#endif  // RECD_TESTS_STORE_FEATURE_STORE_CONTRACT_H_
