#include "store/redis/redis_cluster_client.h"

#include <chrono>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "store/redis/key_slot.h"
#include "store/redis/shared_redis.h"
#include "test_util/redis_servers.h"

namespace recd {
namespace {

// ---- Redirection parsing ----------------------------------------------------

TEST(ParseRedirectTest, ParsesMovedAndAsk) {
  auto moved = ParseRedirect("MOVED 3999 127.0.0.1:6381");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->kind, RedisRedirect::Kind::kMoved);
  EXPECT_EQ(moved->slot, 3999);
  EXPECT_EQ(moved->host, "127.0.0.1");
  EXPECT_EQ(moved->port, 6381);
  auto ask = ParseRedirect("ASK 0 redis-2.example:7000");
  ASSERT_TRUE(ask.has_value());
  EXPECT_EQ(ask->kind, RedisRedirect::Kind::kAsk);
  EXPECT_EQ(ask->slot, 0);
  EXPECT_EQ(ask->host, "redis-2.example");
  EXPECT_EQ(ask->port, 7000);
}

TEST(ParseRedirectTest, EmptyHostMeansTheSendersHost) {
  auto moved = ParseRedirect("MOVED 16383 :6380");
  ASSERT_TRUE(moved.has_value());
  EXPECT_EQ(moved->host, "");
  EXPECT_EQ(moved->port, 6380);
}

TEST(ParseRedirectTest, OtherOrMalformedErrorsAreNotRedirects) {
  for (const char* text : {"ERR unknown command", "MOVED", "MOVED 3999", "MOVED x 127.0.0.1:1",
                           "MOVED 16384 127.0.0.1:1", "MOVED -1 127.0.0.1:1", "ASK 1 127.0.0.1",
                           "ASK 1 127.0.0.1:0", "ASK 1 127.0.0.1:70000", "MOVED 1 h:1 extra",
                           "TRYAGAIN Multiple keys request during rehashing of slot"}) {
    EXPECT_FALSE(ParseRedirect(text).has_value()) << text;
  }
}

// ---- Against real servers ---------------------------------------------------

RedisClusterClient::Options ClientOptions(std::vector<std::string> nodes) {
  RedisClusterClient::Options o;
  o.nodes = std::move(nodes);
  o.connect_timeout = absl::Milliseconds(300);
  o.command_timeout = absl::Milliseconds(300);
  o.pool_size = 4;
  return o;
}

TEST(RedisClusterClientTest, BadSeedsAreRejectedNamingThem) {
  auto none = RedisClusterClient::Create(ClientOptions({}));
  EXPECT_TRUE(absl::IsInvalidArgument(none.status()));
  auto bad = RedisClusterClient::Create(ClientOptions({"localhost"}));
  EXPECT_TRUE(absl::IsInvalidArgument(bad.status()));
  EXPECT_NE(std::string(bad.status().message()).find("localhost"), std::string::npos) << bad.status();
}

TEST(RedisClusterClientTest, UnreachableSeedIsUnavailableNamingIt) {
  // Port 1 on loopback: nothing listens there, the connect is refused.
  auto client = RedisClusterClient::Create(ClientOptions({"127.0.0.1:1"}));
  EXPECT_TRUE(absl::IsUnavailable(client.status())) << client.status();
  EXPECT_NE(std::string(client.status().message()).find("127.0.0.1:1"), std::string::npos);
}

TEST(RedisClusterClientTest, StandaloneServerNeedsNoClusterCommands) {
  SharedRedis& redis = SharedStandalone();
  RECD_REQUIRE_REDIS(redis);
  auto client = RedisClusterClient::Create(ClientOptions({redis.servers->address(0)}));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_FALSE((*client)->cluster_mode());
  const std::vector<RedisCommand> cmds = {{"SET", "client-test:k", std::string("v\0w", 3)}, {"GET", "client-test:k"}};
  auto r = (*client)->Execute(RedisKeySlot("client-test:k"), cmds, {});
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->size(), 2u);
  EXPECT_EQ((*r)[1].str, std::string("v\0w", 3));
}

TEST(RedisClusterClientTest, StoppedServerIsUnavailableWithinTheTimeout) {
  std::string missing = RedisServers::Missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto servers = RedisServers::StartStandalone(0, &error);
  ASSERT_NE(servers, nullptr) << error;
  auto client = RedisClusterClient::Create(ClientOptions({servers->address(0)}));
  ASSERT_TRUE(client.ok()) << client.status();
  const RedisCommand ping = {"PING"};
  ASSERT_TRUE((*client)->Execute(0, {&ping, 1}, {}).ok());

  // A hung server: the pooled connection times out.
  servers->Pause(0);
  auto start = std::chrono::steady_clock::now();
  auto hung = (*client)->Execute(0, {&ping, 1}, {});
  EXPECT_TRUE(absl::IsUnavailable(hung.status())) << hung.status();
  EXPECT_NE(std::string(hung.status().message()).find(servers->address(0)), std::string::npos);
  // 300 ms command timeout; generous slack for a loaded machine.
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  servers->Resume(0);
  // The timed-out connection was dropped: a new one answers again.
  EXPECT_TRUE((*client)->Execute(0, {&ping, 1}, {}).ok());

  // A dead server: every call fails, none succeeds.
  servers->KillServer(0);
  for (int i = 0; i < 3; ++i) {
    start = std::chrono::steady_clock::now();
    auto dead = (*client)->Execute(0, {&ping, 1}, {});
    EXPECT_TRUE(absl::IsUnavailable(dead.status())) << dead.status();
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  }
}

TEST(RedisClusterClientTest, WaitCountsReplicas) {
  std::string missing = RedisServers::Missing();
  if (!missing.empty()) GTEST_SKIP() << missing;
  std::string error;
  auto servers = RedisServers::StartStandalone(/*replicas=*/1, &error);
  ASSERT_NE(servers, nullptr) << error;
  // The replica's acknowledgement can take longer than a few hundred ms on
  // a loaded machine (it failed about half the runs at 200 ms in a fresh
  // clone): the WAITs get seconds, the connection longer still.
  RedisClusterClient::Options options = ClientOptions({servers->address(0)});
  options.command_timeout = absl::Seconds(10);
  auto client = RedisClusterClient::Create(options);
  ASSERT_TRUE(client.ok()) << client.status();
  const RedisCommand set = {"SET", "wait-test", "1"};
  auto one = (*client)->Execute(0, {&set, 1}, {.replicas = 1, .timeout = absl::Seconds(5)});
  EXPECT_TRUE(one.ok()) << one.status();
  auto two = (*client)->Execute(0, {&set, 1}, {.replicas = 2, .timeout = absl::Seconds(2)});
  EXPECT_TRUE(absl::IsUnavailable(two.status())) << two.status();
  EXPECT_NE(std::string(two.status().message()).find("1 of 2 replicas"), std::string::npos) << two.status();
}

TEST(RedisClusterClientTest, ClusterSlotsMatchTheServers) {
  SharedRedis& redis = SharedCluster();
  RECD_REQUIRE_REDIS(redis);
  for (const std::string key : {"foo", "bar", "{user1000}.following", "recd:{u:42}:h", "a{b}c", "x{}y"}) {
    RedisReply r = redis.servers->Command(0, {"CLUSTER", "KEYSLOT", key});
    ASSERT_EQ(r.type, RedisReply::Type::kInteger) << r.str;
    EXPECT_EQ(RedisKeySlot(key), r.integer) << key;
  }
}

TEST(RedisClusterClientTest, ClusterClientFollowsMovedFromAStaleMap) {
  SharedRedis& redis = SharedCluster();
  RECD_REQUIRE_REDIS(redis);
  auto client = RedisClusterClient::Create(ClientOptions({redis.servers->address(1)}));
  ASSERT_TRUE(client.ok()) << client.status();
  EXPECT_TRUE((*client)->cluster_mode());
  // Every slot pointed at node 0: keys of the other two primaries get MOVED.
  (*client)->TEST_PointAllSlotsAt(redis.servers->address(0));
  std::vector<SlotCommand> sets;
  for (int i = 0; i < 30; ++i) {
    const std::string key = absl::StrCat("moved-test:", i);
    sets.push_back({RedisKeySlot(key), {"SET", key, absl::StrCat(i)}});
  }
  auto r = (*client)->ExecuteMany(sets, {});
  ASSERT_TRUE(r.ok()) << r.status();
  for (const RedisReply& reply : *r) EXPECT_EQ(reply.str, "OK");
  // The MOVED replies refreshed the map: it now agrees with the servers.
  int moved_away = 0;
  for (const SlotCommand& c : sets) {
    moved_away += (*client)->NodeForSlot(c.slot) != redis.servers->address(0);
    const RedisCommand get = {"GET", c.command[1]};
    auto got = (*client)->Execute(c.slot, {&get, 1}, {});
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ((*got)[0].str, c.command[2]);
  }
  EXPECT_GT(moved_away, 0);
}

TEST(RedisClusterClientTest, ClusterClientFollowsAskDuringMigrationAndMovedAfterIt) {
  SharedRedis& redis = SharedCluster();
  RECD_REQUIRE_REDIS(redis);
  RedisServers& servers = *redis.servers;
  auto client = RedisClusterClient::Create(ClientOptions({servers.address(0)}));
  ASSERT_TRUE(client.ok()) << client.status();
  const std::string moved_key = "ask-test:{slot}:old", new_key = "ask-test:{slot}:new";
  const int slot = RedisKeySlot(moved_key);
  const RedisCommand set_old = {"SET", moved_key, "old"};
  ASSERT_TRUE((*client)->Execute(slot, {&set_old, 1}, {}).ok());
  const size_t from = IndexOf(servers, (*client)->NodeForSlot(slot));
  ASSERT_LT(from, servers.size());
  const size_t to = (from + 1) % servers.size();

  // Mid-migration: the key already moved is answered with ASK by the source.
  MoveSlot(servers, slot, from, to, /*finish=*/false);
  const RedisCommand get_old = {"GET", moved_key};
  auto r = (*client)->Execute(slot, {&get_old, 1}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].str, "old");
  // A new key goes to the importing node too (ASK again); the map is unchanged.
  const RedisCommand set_new = {"SET", new_key, "new"};
  ASSERT_TRUE((*client)->Execute(slot, {&set_new, 1}, {}).ok());
  EXPECT_EQ((*client)->NodeForSlot(slot), servers.address(from));

  // Migration finished: MOVED, and the map follows.
  FinishSlotMove(servers, slot, to);
  const RedisCommand get_new = {"GET", new_key};
  r = (*client)->Execute(slot, {&get_new, 1}, {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ((*r)[0].str, "new");
  EXPECT_EQ((*client)->NodeForSlot(slot), servers.address(to));
}

}  // namespace
}  // namespace recd
