#ifndef RECD_TESTS_STORE_REDIS_SHARED_REDIS_H_
#define RECD_TESTS_STORE_REDIS_SHARED_REDIS_H_

// The servers every Redis test of the process shares, started on first use:
// a cluster takes about 2 s to form, once per process rather than per test.
// Tests keep apart by key prefix (SharedPrefix), never by flushing.

#include <atomic>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "test_util/redis_servers.h"

namespace recd {

struct SharedRedis {
  std::unique_ptr<RedisServers> servers;  // null if not installed or failed to start
  std::string error;                      // why they failed to start
};

// Skips the test when redis-server is not installed; fails it when the
// servers did not start.
#define RECD_REQUIRE_REDIS(shared)                                                   \
  do {                                                                               \
    if (std::string missing = RedisServers::Missing(); !missing.empty()) {           \
      GTEST_SKIP() << missing;                                                       \
    }                                                                                \
    ASSERT_NE((shared).servers, nullptr) << "redis servers did not start: " << (shared).error; \
  } while (0)

// One standalone server.
inline SharedRedis& SharedStandalone() {
  // Destroyed (servers killed) at exit.
  static SharedRedis shared = [] {
    SharedRedis s;
    if (RedisServers::Missing().empty()) s.servers = RedisServers::StartStandalone(0, &s.error);
    return s;
  }();
  return shared;
}

// A cluster of three primaries, no replicas.
inline SharedRedis& SharedCluster() {
  // Destroyed (servers killed) at exit.
  static SharedRedis shared = [] {
    SharedRedis s;
    if (RedisServers::Missing().empty()) s.servers = RedisServers::StartCluster(3, 0, &s.error);
    return s;
  }();
  return shared;
}

// Ends a slot move: every node learns that `to` owns `slot`.
inline void FinishSlotMove(RedisServers& servers, int slot, size_t to) {
  const std::string to_id = servers.Command(to, {"CLUSTER", "MYID"}).str;
  for (size_t i = 0; i < servers.size(); ++i) {
    RedisReply r = servers.Command(i, {"CLUSTER", "SETSLOT", absl::StrCat(slot), "NODE", to_id});
    ASSERT_FALSE(r.is_error()) << r.str;
  }
}

// Moves `slot` (and its keys) from node `from` to node `to` by hand, as
// redis-cli --cluster reshard does; with finish == false it stays
// mid-migration (MIGRATING/IMPORTING, keys moved).
inline void MoveSlot(RedisServers& servers, int slot, size_t from, size_t to, bool finish) {
  const std::string to_id = servers.Command(to, {"CLUSTER", "MYID"}).str;
  const std::string from_id = servers.Command(from, {"CLUSTER", "MYID"}).str;
  const std::string s = absl::StrCat(slot);
  ASSERT_EQ(servers.Command(to, {"CLUSTER", "SETSLOT", s, "IMPORTING", from_id}).str, "OK");
  ASSERT_EQ(servers.Command(from, {"CLUSTER", "SETSLOT", s, "MIGRATING", to_id}).str, "OK");
  RedisReply keys = servers.Command(from, {"CLUSTER", "GETKEYSINSLOT", s, "1000"});
  for (const RedisReply& k : keys.elements) {
    RedisReply m = servers.Command(from, {"MIGRATE", "127.0.0.1", absl::StrCat(servers.port(to)), k.str, "0", "5000"});
    ASSERT_FALSE(m.is_error()) << m.str;
  }
  if (finish) FinishSlotMove(servers, slot, to);
}

inline size_t IndexOf(RedisServers& servers, const std::string& address) {
  for (size_t i = 0; i < servers.size(); ++i) {
    if (servers.address(i) == address) return i;
  }
  return servers.size();
}

// A key prefix no other store of this process uses.
inline std::string SharedPrefix() {
  static std::atomic<int> next{0};
  return absl::StrCat("t", getpid(), "_", next.fetch_add(1));
}

}  // namespace recd

#endif  // RECD_TESTS_STORE_REDIS_SHARED_REDIS_H_
