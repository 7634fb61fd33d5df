#ifndef RECD_STORE_REDIS_REDIS_CLUSTER_CLIENT_H_
#define RECD_STORE_REDIS_REDIS_CLUSTER_CLIENT_H_

#include <array>
#include <atomic>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "store/redis/key_slot.h"
#include "store/redis/redis_connection.h"

namespace recd {

// A MOVED or ASK error reply: "MOVED 3999 127.0.0.1:6381".
struct RedisRedirect {
  enum class Kind { kMoved, kAsk };
  Kind kind = Kind::kMoved;
  int slot = 0;
  std::string host;  // empty when the server sent ":port" (same host as the sender)
  int port = 0;
};

// The redirection an error reply asks for, or nullopt for any other reply
// (including malformed MOVED/ASK text, which is then an ordinary error).
std::optional<RedisRedirect> ParseRedirect(std::string_view error);

// A command together with the hash slot of its keys (every key of one
// command must hash to that slot; commands without keys may use any slot).
struct SlotCommand {
  int slot = 0;
  RedisCommand command;
};

// A thin Redis Cluster client on top of hiredis (Debian's 0.14 has no cluster
// support): the slot map from CLUSTER SLOTS, MOVED (update the map, refresh
// it, retry) and ASK (ASKING, then retry on the importing node) redirections,
// at most Options::max_redirects of them per call, a bounded connection pool
// per node, and connect/command timeouts. A standalone server is the same
// client with one node and no CLUSTER commands at all.
//
// An unreachable node, a timeout, an exhausted pool or too many
// redirections (TRYAGAIN and CLUSTERDOWN are retried like redirections) is
// Unavailable naming the node; other error replies are returned as replies
// for the caller to judge. A broken connection is dropped and the node's
// idle connections with it, so the next call connects anew (reconnect on
// error), and in a cluster the slot map is reloaded from the other nodes
// (at most every kMinRefreshInterval), so a failover is followed. A command
// whose connection failed after it was sent is NOT resent: it may have been
// applied, and only the caller knows whether repeating it is safe.
//
// Thread-safe: any number of threads may call Execute at once; each call
// leases its own connection. Connections are kept per node up to
// Options::pool_size; a caller finding all of them busy waits up to the
// command timeout, then gets Unavailable.
class RedisClusterClient {
 public:
  struct Options {
    // host:port seeds. One entry may be a standalone server or any node of a
    // cluster; with several, every one must be a cluster node. Required.
    std::vector<std::string> nodes;
    absl::Duration connect_timeout = absl::Milliseconds(1000);  // per connection attempt
    absl::Duration command_timeout = absl::Milliseconds(1000);  // per pipeline read/write
    // Connections kept per node; also the most calls in flight per node.
    int pool_size = 8;
    // MOVED/ASK/TRYAGAIN replies followed per call before Unavailable.
    int max_redirects = 5;
  };

  // How many replicas a write must reach before it is acknowledged.
  struct WriteConcern {
    int replicas = 0;  // 0 = the primary alone (no WAIT)
    absl::Duration timeout = absl::Milliseconds(500);
  };

  // Connects to the first reachable seed and asks whether it is a cluster
  // node (INFO cluster); for a cluster, loads the slot map. Unavailable
  // naming every seed when none answers; InvalidArgument for a malformed
  // seed or several seeds of which one is a standalone server.
  static absl::StatusOr<std::unique_ptr<RedisClusterClient>> Create(const Options& options);
  ~RedisClusterClient();
  RedisClusterClient(const RedisClusterClient&) = delete;
  RedisClusterClient& operator=(const RedisClusterClient&) = delete;

  // Runs `commands` as one pipeline on the node serving `slot` and returns
  // one reply per command (MOVED/ASK replies are followed, never returned).
  // With concern.replicas > 0 a WAIT follows the pipeline on the same
  // connection, and fewer confirmed replicas is Unavailable naming the node
  // (the write is then on the primary but not known to be replicated).
  absl::StatusOr<std::vector<RedisReply>> Execute(int slot, std::span<const RedisCommand> commands,
                                                  const WriteConcern& concern);

  // Runs commands of many slots: one pipeline per node (at most
  // kMaxPipeline commands each), then each redirected command alone through
  // Execute. Replies in input order. Not atomic: on failure some commands
  // may have been applied.
  absl::StatusOr<std::vector<RedisReply>> ExecuteMany(std::span<const SlotCommand> commands,
                                                      const WriteConcern& concern);

  // Runs `command` on every primary (one entry per primary). For keyless
  // administration (FLUSHALL in tests, DBSIZE).
  absl::StatusOr<std::vector<RedisReply>> ExecuteOnEveryPrimary(const RedisCommand& command);

  bool cluster_mode() const { return cluster_; }
  // Reloads the slot map from CLUSTER SLOTS of the first node that answers
  // (no-op for a standalone server).
  absl::Status RefreshSlotMap() { return RefreshSlotMapSkipping(nullptr); }
  // The node ("host:port") the slot map currently sends `slot` to.
  std::string NodeForSlot(int slot);
  // Makes every slot point at `address`: a deliberately stale map, for tests
  // of MOVED handling.
  void TEST_PointAllSlotsAt(const std::string& address);

  static constexpr size_t kMaxPipeline = 256;

 private:
  class NodePool;
  explicit RedisClusterClient(const Options& options);

  NodePool* Node(const std::string& host, int port);
  NodePool* NodeOf(int slot);
  absl::StatusOr<std::vector<RedisReply>> RunOn(NodePool* node, std::span<const RedisCommand> commands,
                                                bool asking, const WriteConcern& concern);
  absl::Status LoadSlotMap(NodePool* from);
  // RefreshSlotMap asking `skip` (a node that just failed) last.
  absl::Status RefreshSlotMapSkipping(NodePool* skip);
  // After a failed connection to `failed`: the slot map may be stale (a
  // failover promoted a replica). Refreshes it, at most once per
  // kMinRefreshInterval, so a dead node does not make every call pay for a
  // refresh.
  void RefreshAfterError(NodePool* failed);

  static constexpr absl::Duration kMinRefreshInterval = absl::Milliseconds(100);

  const Options options_;
  bool cluster_ = false;
  absl::Mutex mu_;
  // Every node ever seen, by "host:port"; never removed, so pointers stay
  // valid. Bounded by the cluster's size: addresses come only from the seeds and
  // from the cluster's own CLUSTER SLOTS and MOVED/ASK replies.
  absl::flat_hash_map<std::string, std::unique_ptr<NodePool>> nodes_ ABSL_GUARDED_BY(mu_);
  std::array<NodePool*, kRedisClusterSlots> slots_ ABSL_GUARDED_BY(mu_){};
  NodePool* seed_ ABSL_GUARDED_BY(mu_) = nullptr;  // the standalone server, or the last node that answered
  absl::Time last_error_refresh_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace recd

#endif  // RECD_STORE_REDIS_REDIS_CLUSTER_CLIENT_H_
