#ifndef RECD_STORE_REDIS_REDIS_CONNECTION_H_
#define RECD_STORE_REDIS_REDIS_CONNECTION_H_

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

struct redisContext;

namespace recd {

// One command: its arguments as raw bytes (binary-safe).
using RedisCommand = std::vector<std::string>;

// A reply, copied out of hiredis's reply tree so it outlives the connection.
struct RedisReply {
  enum class Type { kString, kArray, kInteger, kNil, kStatus, kError };
  Type type = Type::kNil;
  std::string str;  // kString, kStatus, kError
  long long integer = 0;
  std::vector<RedisReply> elements;  // kArray

  bool is_error() const { return type == Type::kError; }
};

// One blocking connection to one Redis server, speaking the protocol through
// hiredis. Every read and write is bounded by the command timeout; connecting
// by the connect timeout.
//
// Not thread-safe: one caller at a time (RedisClusterClient leases
// connections from a per-node pool). After an I/O error or a timeout the
// connection is broken() for good, because a late reply would otherwise be
// read as the answer to the next command; the owner drops it and connects
// anew.
class RedisConnection {
 public:
  struct Options {
    std::string host;  // required
    int port = 6379;
    absl::Duration connect_timeout = absl::Milliseconds(1000);
    absl::Duration command_timeout = absl::Milliseconds(1000);
  };

  // Unavailable naming host:port when the server cannot be reached in time.
  static absl::StatusOr<std::unique_ptr<RedisConnection>> Connect(const Options& options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Sends `commands` as one pipeline and reads one reply per command, in
  // order. Error replies are replies, not a failed status; a failed status
  // (Unavailable naming the node) means an I/O error or timeout, after
  // which the connection is broken().
  absl::StatusOr<std::vector<RedisReply>> Pipeline(std::span<const RedisCommand> commands);

  bool broken() const { return broken_; }
  // "host:port", for messages.
  const std::string& address() const { return address_; }

 private:
  RedisConnection(redisContext* context, std::string address);

  redisContext* const context_;
  const std::string address_;
  bool broken_ = false;
};

// "host:port" -> host and port; InvalidArgument naming `what` and the text
// for a missing or bad port. "[::1]:6379" is accepted for IPv6.
absl::Status ParseHostPort(std::string_view text, std::string_view what, std::string* host,
                           int* port);

}  // namespace recd

#endif  // RECD_STORE_REDIS_REDIS_CONNECTION_H_
