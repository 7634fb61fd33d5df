#include "store/redis/redis_feature_store.h"

#include <atomic>
#include <chrono>
#include <iostream>
#include <memory>
#include <numeric>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "recd/feature_store_factory.h"
#include "store/feature_store_contract.h"
#include "store/redis/key_slot.h"
#include "store/redis/shared_redis.h"
#include "store/store_test_util.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

RedisStoreOptions StoreOptions(const std::string& node, int32_t max_history = 200) {
  RedisStoreOptions o;
  o.nodes = {node};
  o.key_prefix = SharedPrefix();
  o.max_history = max_history;
  o.connect_timeout_ms = 300;
  o.command_timeout_ms = 500;
  o.wait_timeout_ms = 200;
  return o;
}

template <SharedRedis& (*Shared)()>
struct RedisImpl {
  static std::string SkipReason() { return RedisServers::Missing(); }
  static std::unique_ptr<FeatureStore> Make(const TempDir&, int32_t max_history) {
    SharedRedis& redis = Shared();
    EXPECT_NE(redis.servers, nullptr) << "redis servers did not start: " << redis.error;
    if (redis.servers == nullptr) return nullptr;
    auto store = OpenRedisFeatureStore(StoreOptions(redis.servers->address(0), max_history));
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  }
};
using StandaloneImpl = RedisImpl<SharedStandalone>;
using ClusterImpl = RedisImpl<SharedCluster>;

class ImplName {
 public:
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, StandaloneImpl> ? "RedisStandalone" : "RedisCluster";
  }
};
using Implementations = ::testing::Types<StandaloneImpl, ClusterImpl>;
INSTANTIATE_TYPED_TEST_SUITE_P(Redis, FeatureStoreContractTest, Implementations, ImplName);

TEST(RedisFeatureStoreTest, BadOptionsAreRejectedNamingTheProblem) {
  RedisStoreOptions o = StoreOptions("127.0.0.1:1");
  o.key_prefix = "a{b";
  auto s = RedisFeatureStore::Open(o);
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("prefix"));
  o = StoreOptions("127.0.0.1:1");
  o.wait_timeout_ms = o.command_timeout_ms;
  s = RedisFeatureStore::Open(o);
  EXPECT_TRUE(absl::IsInvalidArgument(s.status()));
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("wait_timeout_ms"));
}

TEST(RedisFeatureStoreTest, KeysOfOneUserShareASlot) {
  SharedRedis& redis = SharedStandalone();
  RECD_REQUIRE_REDIS(redis);
  auto store = RedisFeatureStore::Open(StoreOptions(redis.servers->address(0)));
  ASSERT_TRUE(store.ok()) << store.status();
  for (const std::string user : {"u1", "a}b", "{x}", "", "\xff\x00z"}) {
    const std::string h = (*store)->HistoryKey(user);
    std::string p = h;
    p.back() = 'p';
    EXPECT_EQ(RedisKeySlot(h), RedisKeySlot(p)) << h;
  }
}

// Two stores on one server and prefix stand for two replicas: what one
// publishes, the other reads from its cursor on, in order, once.
TEST(RedisFeatureStoreTest, CatalogFeedCarriesStockChangesToAnotherReplica) {
  SharedRedis& redis = SharedStandalone();
  RECD_REQUIRE_REDIS(redis);
  const RedisStoreOptions options = StoreOptions(redis.servers->address(0));
  auto a = RedisFeatureStore::Open(options);
  auto b = RedisFeatureStore::Open(options);
  ASSERT_TRUE(a.ok() && b.ok());
  CatalogFeed* publisher = (*a)->catalog_feed();
  CatalogFeed* reader = (*b)->catalog_feed();
  ASSERT_NE(publisher, nullptr);
  absl::StatusOr<std::string> cursor = reader->Tail();
  ASSERT_TRUE(cursor.ok()) << cursor.status();

  const std::vector<StockChange> changes = {{"i1", false}, {"i2", true}, {"i1", true}};
  ASSERT_TRUE(publisher->Publish(changes).ok());
  auto got = reader->Poll(&*cursor, absl::Milliseconds(200), 100);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(*got, changes);
  // Nothing new: an empty answer after the wait, the cursor kept.
  const std::string after = *cursor;
  got = reader->Poll(&*cursor, absl::Milliseconds(50), 100);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(got->empty());
  EXPECT_EQ(*cursor, after);
  EXPECT_EQ(*publisher->Tail(), after);
  // `max` bounds one read; the rest comes with the next.
  ASSERT_TRUE(publisher->Publish(changes).ok());
  got = reader->Poll(&*cursor, absl::Milliseconds(200), 2);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->size(), 2u);
  got = reader->Poll(&*cursor, absl::Milliseconds(200), 2);
  ASSERT_TRUE(got.ok());
  EXPECT_THAT(*got, ElementsAre(changes[2]));
}

TEST(RedisFeatureStoreTest, StoppedServerGivesUnavailableNeverOk) {
  std::string missing = RedisServers::Missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto servers = RedisServers::StartStandalone(0, &error);
  ASSERT_NE(servers, nullptr) << error;
  auto store = RedisFeatureStore::Open(StoreOptions(servers->address(0)));
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->AppendEvents("u1", Events(0, 2)).ok());

  servers->KillServer(0);
  const auto start = std::chrono::steady_clock::now();
  absl::Status append = (*store)->AppendEvents("u1", Events(2, 1));
  EXPECT_TRUE(absl::IsUnavailable(append)) << append;
  EXPECT_THAT(std::string(append.message()), HasSubstr(servers->address(0)));
  std::vector<UserEvents> batch = {{"u1", Events(3, 1)}, {"u2", Events(3, 1)}};
  EXPECT_TRUE(absl::IsUnavailable((*store)->AppendEventsBatch(batch, {})));
  EXPECT_TRUE(absl::IsUnavailable((*store)->GetHistory("u1").status()));
  EXPECT_TRUE(absl::IsUnavailable((*store)->GetItem("i1").status()));
  EXPECT_TRUE(absl::IsUnavailable((*store)->PutMeta("k", "v")));
  // Each call fails at its (300 ms) connect; generous slack for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(RedisFeatureStoreTest, TooFewReplicasIsUnavailable) {
  std::string missing = RedisServers::Missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto servers = RedisServers::StartStandalone(/*replicas=*/1, &error);
  ASSERT_NE(servers, nullptr) << error;
  RedisStoreOptions o = StoreOptions(servers->address(0));
  o.wait_replicas = 1;
  // The replica's fsync on a loaded machine can take longer than the
  // suite's 200 ms WAIT: give the write that must succeed room.
  o.wait_timeout_ms = 5000;
  o.command_timeout_ms = 10000;
  auto store = OpenRedisFeatureStore(o);
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->AppendEvents("u1", Events(0, 1)).ok());
  // The replica acknowledged it, so it can read it.
  RedisReply replicated = servers->Command(1, {"EXISTS", absl::StrCat(o.key_prefix, ":{u:u1}:h")});
  EXPECT_EQ(replicated.integer, 1);

  o.wait_replicas = 2;
  o.wait_timeout_ms = 2000;  // long enough for the one replica's ack: "1 of 2"
  o.command_timeout_ms = 5000;
  store = OpenRedisFeatureStore(o);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Status s = (*store)->AppendEvents("u1", Events(1, 1));
  EXPECT_TRUE(absl::IsUnavailable(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("1 of 2 replicas"));
  EXPECT_TRUE(absl::IsUnavailable((*store)->PutItems(std::vector<ItemRecord>{{"i1", {}}}, {})));
  // Unsynced bulk writes skip WAIT.
  EXPECT_TRUE((*store)->AppendEventsBatch(std::vector<UserEvents>{{"u2", Events(0, 1)}}, {.sync = false}).ok());
}

TEST(RedisFeatureStoreTest, CorruptHistoryIsDataLossNamingTheUser) {
  SharedRedis& redis = SharedStandalone();
  RECD_REQUIRE_REDIS(redis);
  RedisStoreOptions o = StoreOptions(redis.servers->address(0));
  auto store = RedisFeatureStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  redis.servers->Command(0, {"SET", (*store)->HistoryKey("u9"), "\x07garbage"});
  auto h = (*store)->GetHistory("u9");
  EXPECT_TRUE(absl::IsDataLoss(h.status())) << h.status();
  EXPECT_THAT(std::string(h.status().message()), HasSubstr("'u9'"));
  EXPECT_TRUE(absl::IsDataLoss((*store)->AppendEvents("u9", Events(0, 1))));
}

TEST(RedisFeatureStoreTest, ClusterStoreFollowsAUserWhoseSlotMoved) {
  SharedRedis& redis = SharedCluster();
  RECD_REQUIRE_REDIS(redis);
  RedisServers& servers = *redis.servers;
  auto store = RedisFeatureStore::Open(StoreOptions(servers.address(0)));
  ASSERT_TRUE(store.ok()) << store.status();
  ASSERT_TRUE((*store)->AppendEvents("mover", Events(0, 2)).ok());
  const int slot = RedisKeySlot((*store)->HistoryKey("mover"));
  const size_t from = IndexOf(servers, (*store)->client().NodeForSlot(slot));
  ASSERT_LT(from, servers.size());
  const size_t to = (from + 1) % servers.size();
  MoveSlot(servers, slot, from, to, /*finish=*/true);

  // The store's map still names the old node: MOVED is followed.
  ASSERT_TRUE((*store)->AppendEvents("mover", Events(2, 1)).ok());
  auto h = (*store)->GetHistory("mover");
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_THAT(Timestamps(*h), ElementsAre(0, 1, 2));
  EXPECT_EQ((*store)->client().NodeForSlot(slot), servers.address(to));
}

TEST(RedisFeatureStoreTest, ClusterBatchesSpanEveryPrimary) {
  SharedRedis& redis = SharedCluster();
  RECD_REQUIRE_REDIS(redis);
  auto store = RedisFeatureStore::Open(StoreOptions(redis.servers->address(2), /*max_history=*/3));
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<UserEvents> batch;
  for (int u = 0; u < 300; ++u) batch.push_back({"user" + std::to_string(u), Events(u, 2)});
  ASSERT_TRUE((*store)->ReplaceHistoriesBatch(batch, {}).ok());
  ASSERT_TRUE((*store)->AppendEventsBatch(batch, {}).ok());
  for (int u = 0; u < 300; u += 37) {
    auto h = (*store)->GetHistory("user" + std::to_string(u));
    ASSERT_TRUE(h.ok()) << h.status();
    EXPECT_THAT(Timestamps(*h), ElementsAre(u + 1, u, u + 1));
  }
  auto counts = (*store)->ApproximateCounts();
  ASSERT_TRUE(counts.ok()) << counts.status();
  EXPECT_EQ(counts->users, 300);
  // The users are spread over all three primaries.
  auto sizes = (*store)->client().ExecuteOnEveryPrimary({"DBSIZE"});
  ASSERT_TRUE(sizes.ok()) << sizes.status();
  EXPECT_EQ(sizes->size(), 3u);
  for (const RedisReply& r : *sizes) EXPECT_GT(r.integer, 0);
}

// Three primaries with a replica each; a primary silent for 1 s is failed over.
std::unique_ptr<RedisServers> StartFailoverCluster(std::string* error) {
  return RedisServers::StartCluster(3, 1, error, /*node_timeout_ms=*/1000);
}

// A store on `servers` that acknowledges a write once the primary and its
// replica hold it.
RedisStoreOptions AcknowledgedByAReplica(const RedisServers& servers) {
  RedisStoreOptions o = StoreOptions(servers.address(0));
  o.wait_replicas = 1;
  return o;
}

TEST(RedisFeatureStoreTest, ClusterFailoverKeepsAcknowledgedEventsAndServesAgain) {
  std::string missing = RedisServers::Missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto servers = StartFailoverCluster(&error);
  ASSERT_NE(servers, nullptr) << error;
  RedisStoreOptions o = AcknowledgedByAReplica(*servers);
  o.wait_timeout_ms = 5000;  // a replica's ack can outlast 200 ms on a loaded machine
  o.command_timeout_ms = 10000;
  auto store = RedisFeatureStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  std::vector<UserEvents> batch;
  for (int u = 0; u < 50; ++u) batch.push_back({"f" + std::to_string(u), Events(u, 1)});
  ASSERT_TRUE((*store)->AppendEventsBatch(batch, {}).ok());

  const int slot = RedisKeySlot((*store)->HistoryKey("f0"));
  const size_t primary = IndexOf(*servers, (*store)->client().NodeForSlot(slot));
  ASSERT_LT(primary, servers->size());
  servers->KillServer(primary);
  // Until the replica is promoted the user's calls fail, never succeed.
  absl::StatusOr<StoredHistory> h = (*store)->GetHistory("f0");
  EXPECT_TRUE(absl::IsUnavailable(h.status())) << h.status();
  // Promotion takes about the node timeout plus an election; 15 s at most.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (!h.ok() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    h = (*store)->GetHistory("f0");
  }
  ASSERT_TRUE(h.ok()) << "no failover within 15 s: " << h.status();
  EXPECT_THAT(Timestamps(*h), ElementsAre(0));
  EXPECT_NE((*store)->client().NodeForSlot(slot), servers->address(primary));
  // Every acknowledged event is there exactly once, and appends work again.
  for (int u = 0; u < 50; ++u) {
    auto got = (*store)->GetHistory("f" + std::to_string(u));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_THAT(Timestamps(*got), ElementsAre(u));
  }
  o.wait_replicas = 0;  // the promoted primary has no replica left
  store = RedisFeatureStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE((*store)->AppendEvents("f0", Events(100, 1)).ok());
}

// The failover bar under load: writers keep appending, each call with a
// request id and retried with that id until acknowledged, while a primary is
// SIGKILLed, its replica promoted and the killed node restarted (it rejoins
// as the new primary's replica). A call that failed may still have landed;
// its retry must not land twice. At the end every user holds each of its
// events exactly once, in order.
TEST(RedisFeatureStoreTest, ClusterFailoverUnderLoadKeepsEveryRetriedEventExactlyOnce) {
  std::string missing = RedisServers::Missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto servers = StartFailoverCluster(&error);
  ASSERT_NE(servers, nullptr) << error;
  RedisStoreOptions o = AcknowledgedByAReplica(*servers);
  o.wait_timeout_ms = 2000;
  o.command_timeout_ms = 5000;
  auto store = RedisFeatureStore::Open(o);
  ASSERT_TRUE(store.ok()) << store.status();

  constexpr int kThreads = 4, kUsersPerThread = 10, kEventsPerUser = 30;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  std::atomic<int> acknowledged{0}, failed_calls{0};
  std::atomic<bool> stuck{false};
  std::vector<std::string> unexpected(kThreads);
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int e = 0; e < kEventsPerUser; ++e) {
        for (int u = 0; u < kUsersPerThread; ++u) {
          const std::string user = absl::StrCat("w", t, "u", u);
          const UserEvents call{user, Events(e, 1), absl::StrCat(user, "-", e)};
          for (;;) {
            absl::Status s = (*store)->AppendEventsBatch({&call, 1}, {});
            if (s.ok()) break;
            if (!absl::IsUnavailable(s)) unexpected[t] = s.ToString();
            failed_calls.fetch_add(1);
            if (!unexpected[t].empty() || std::chrono::steady_clock::now() > give_up) {
              stuck = true;
              return;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
          }
          acknowledged.fetch_add(1);
        }
      }
    });
  }
  // Kill the primary of one writer's user once a fifth of the events are in.
  while (acknowledged.load() < kThreads * kUsersPerThread * kEventsPerUser / 5 && !stuck) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  const int slot = RedisKeySlot((*store)->HistoryKey("w0u0"));
  const size_t primary = IndexOf(*servers, (*store)->client().NodeForSlot(slot));
  ASSERT_LT(primary, servers->size());
  servers->KillServer(primary);
  const int acknowledged_at_kill = acknowledged.load();
  // Once the writers' client follows the slot to the promoted replica, the
  // killed node comes back, as that replica's replica: the slot's writes can
  // be acknowledged by a replica again.
  const auto promoted_by = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while ((*store)->client().NodeForSlot(slot) == servers->address(primary) &&
         std::chrono::steady_clock::now() < promoted_by) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_NE((*store)->client().NodeForSlot(slot), servers->address(primary)) << "no failover within 15 s";
  ASSERT_TRUE(servers->RestartServer(primary, &error)) << error;
  for (std::thread& w : writers) w.join();
  for (const std::string& u : unexpected) EXPECT_EQ(u, "") << "a call failed with other than UNAVAILABLE";
  ASSERT_FALSE(stuck) << "writes were not acknowledged again within 60 s of the start";
  EXPECT_GT(failed_calls.load(), 0) << "the kill failed no call: the test did not test a failover under load";
  EXPECT_LT(acknowledged_at_kill, kThreads * kUsersPerThread * kEventsPerUser) << "the kill came after the load";

  std::vector<int64_t> every_event(kEventsPerUser);
  std::iota(every_event.begin(), every_event.end(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int u = 0; u < kUsersPerThread; ++u) {
      auto got = (*store)->GetHistory(absl::StrCat("w", t, "u", u));
      ASSERT_TRUE(got.ok()) << got.status();
      EXPECT_EQ(Timestamps(*got), every_event) << "user w" << t << "u" << u;
    }
  }
  std::cout << "failover under load: " << acknowledged.load() << " calls acknowledged, " << failed_calls.load()
            << " failed and retried with their request id; " << acknowledged_at_kill
            << " were in when the primary was killed\n";
}

}  // namespace
}  // namespace recd
