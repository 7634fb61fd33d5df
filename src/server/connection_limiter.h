#ifndef RECD_SERVER_CONNECTION_LIMITER_H_
#define RECD_SERVER_CONNECTION_LIMITER_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace recd {

// Owns a listening socket and accepts its connections itself, handing each
// accepted socket to `hand_off` (the daemon: gRPC's external connection
// acceptor, which runs the TLS handshake if configured), so that the
// connections held never exceed a cap kept below the file-descriptor limit.
//
// Why not gRPC's own listener: in gRPC 1.51 the first accept() that fails
// with EMFILE stops that port's accept loop for good, so ~1,100 idle
// connections against a 1,024-descriptor limit locked every later client
// out while the process stayed up. Here an accept error of any kind is
// retried after making room, and at the cap the connections that have been
// silent longest (TCP_INFO's last_data_recv; a batch of 1/32 of those held)
// are shut down, so a flood of idle connections costs its own oldest
// members, not new clients.
//
// The limiter never closes a socket it handed off (its owner does); it
// shuts one down, which makes the owner see the peer gone and close it. A
// handed-off descriptor is known by its number and inode, so a number the
// owner closed and the process reused is never shut down.
//
// Thread-safe: one accept thread; the counters may be read from any thread.
class ConnectionLimiter {
 public:
  struct Options {
    std::string listen;        // HOST:PORT; port 0 = any free port
    int max_connections = 1000;  // connections held at once, >= 1
  };

  // Binds and listens (so the port is known and taken), without accepting.
  static absl::StatusOr<std::unique_ptr<ConnectionLimiter>> Listen(const Options& options);
  // Stops accepting and closes the listening socket; sockets handed off
  // stay with their owner.
  ~ConnectionLimiter();
  ConnectionLimiter(const ConnectionLimiter&) = delete;
  ConnectionLimiter& operator=(const ConnectionLimiter&) = delete;

  // Starts the accept thread. `hand_off` takes ownership of each socket
  // (non-blocking, TCP_NODELAY); it runs on the accept thread.
  // REQUIRES: called once.
  void Start(std::function<void(int fd)> hand_off);
  // Stops the accept thread; new connections wait in the kernel's backlog
  // until the socket closes. Idempotent.
  void Stop();

  int port() const { return port_; }
  int listen_fd() const { return listen_fd_; }
  int max_connections() const { return options_.max_connections; }
  // Handed-off connections whose owner has not closed them yet.
  int64_t open_connections();
  int64_t accepted() const { return accepted_.load(); }
  // Shut down to make room for a newer connection.
  int64_t evicted() const { return evicted_.load(); }
  // accept() failures other than "nothing to accept" (EMFILE, ENFILE, ...).
  int64_t accept_errors() const { return accept_errors_.load(); }

 private:
  explicit ConnectionLimiter(const Options& options) : options_(options) {}
  void AcceptLoop();
  // Accepts what the backlog holds; false when accept failed for lack of
  // resources (the loop then waits a little before trying again).
  bool AcceptAll();
  // Forgets handed-off sockets whose owner closed them.
  void PruneLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Shuts down the handed-off connections silent longest (a small batch,
  // at least one if any is held); returns how many.
  int EvictLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Options options_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;  // eventfd: Stop() wakes the accept thread
  int port_ = 0;
  std::function<void(int)> hand_off_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> accepted_{0}, evicted_{0}, accept_errors_{0};
  absl::Mutex mu_;
  // Handed-off sockets: descriptor -> inode when accepted.
  absl::flat_hash_map<int, ino_t> open_ ABSL_GUARDED_BY(mu_);
};

// The process's file-descriptor limit after RaiseFdLimit().
struct FdLimit {
  uint64_t before = 0;  // soft limit found at start
  uint64_t soft = 0;    // soft limit now
  uint64_t hard = 0;
};

// Raises the soft RLIMIT_NOFILE to the hard limit: the default soft limit
// (often 1,024) is what idle-connection floods exhaust first.
absl::StatusOr<FdLimit> RaiseFdLimit();

// Descriptors this process has open now (/proc/self/fd).
int CountOpenFds();

}  // namespace recd

#endif  // RECD_SERVER_CONNECTION_LIMITER_H_
