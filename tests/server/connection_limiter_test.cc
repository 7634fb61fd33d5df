// ConnectionLimiter over loopback with raw sockets: the owner of handed-off
// connections is the test itself, holding their descriptors.

#include "server/connection_limiter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  return fd;
}

// True when the peer of client socket `fd` ended the connection within 5 s.
bool PeerClosed(int fd, int timeout_ms = 5000) {
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, timeout_ms) <= 0) return false;
  char c;
  return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

// Holds the handed-off descriptors, as gRPC would.
class Owner {
 public:
  ~Owner() { CloseAll(); }
  void Take(int fd) {
    absl::MutexLock lock(&mu_);
    fds_.push_back(fd);
  }
  size_t WaitFor(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return fds_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(5));
    return fds_.size();
  }
  void CloseAll() {
    absl::MutexLock lock(&mu_);
    for (int fd : fds_) close(fd);
    fds_.clear();
  }

 private:
  absl::Mutex mu_;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);
};

std::unique_ptr<ConnectionLimiter> StartLimiter(int max_connections, Owner& owner) {
  auto limiter = ConnectionLimiter::Listen({"127.0.0.1:0", max_connections});
  EXPECT_TRUE(limiter.ok()) << limiter.status();
  if (!limiter.ok()) return nullptr;
  (*limiter)->Start([&owner](int fd) { owner.Take(fd); });
  return *std::move(limiter);
}

TEST(ConnectionLimiterTest, HandsOffConnectionsBelowTheCap) {
  Owner owner;
  auto limiter = StartLimiter(10, owner);
  ASSERT_NE(limiter, nullptr);
  std::vector<int> clients;
  for (int i = 0; i < 5; ++i) clients.push_back(Connect(limiter->port()));
  EXPECT_EQ(owner.WaitFor(5), 5u);
  EXPECT_EQ(limiter->open_connections(), 5);
  EXPECT_EQ(limiter->evicted(), 0);
  for (int fd : clients) {
    EXPECT_FALSE(PeerClosed(fd, 0));
    close(fd);
  }
}

TEST(ConnectionLimiterTest, AtTheCapTheLongestSilentConnectionIsShutDown) {
  Owner owner;
  auto limiter = StartLimiter(2, owner);
  ASSERT_NE(limiter, nullptr);
  const int silent = Connect(limiter->port());
  const int talking = Connect(limiter->port());
  ASSERT_EQ(owner.WaitFor(2), 2u);
  // TCP_INFO counts in milliseconds (jiffies): give the silent one a lead.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(send(talking, "x", 1, 0), 1);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const int newcomer = Connect(limiter->port());
  EXPECT_EQ(owner.WaitFor(3), 3u);
  EXPECT_TRUE(PeerClosed(silent));
  EXPECT_FALSE(PeerClosed(talking, 100));
  EXPECT_FALSE(PeerClosed(newcomer, 0));
  EXPECT_EQ(limiter->evicted(), 1);
  EXPECT_EQ(limiter->open_connections(), 2);
  for (int fd : {silent, talking, newcomer}) close(fd);
}

TEST(ConnectionLimiterTest, ConnectionsTheOwnerClosedAreNotCounted) {
  Owner owner;
  auto limiter = StartLimiter(10, owner);
  ASSERT_NE(limiter, nullptr);
  std::vector<int> clients;
  for (int i = 0; i < 4; ++i) clients.push_back(Connect(limiter->port()));
  ASSERT_EQ(owner.WaitFor(4), 4u);
  owner.CloseAll();
  EXPECT_EQ(limiter->open_connections(), 0);
  for (int fd : clients) close(fd);
}

// A flood far beyond the cap: every connection is accepted (none waits in
// the backlog) and the last ones stay open.
TEST(ConnectionLimiterTest, FloodKeepsTheNewestConnections) {
  Owner owner;
  auto limiter = StartLimiter(20, owner);
  ASSERT_NE(limiter, nullptr);
  std::vector<int> clients;
  for (int i = 0; i < 200; ++i) clients.push_back(Connect(limiter->port()));
  EXPECT_EQ(owner.WaitFor(200), 200u);
  EXPECT_EQ(limiter->accepted(), 200);
  EXPECT_EQ(limiter->evicted(), 180);
  EXPECT_FALSE(PeerClosed(clients.back(), 0));
  for (int fd : clients) close(fd);
}

TEST(ConnectionLimiterTest, ListenErrorNamesTheAddress) {
  auto limiter = ConnectionLimiter::Listen({"no-such-host.invalid:1", 10});
  ASSERT_FALSE(limiter.ok());
  EXPECT_NE(limiter.status().message().find("no-such-host.invalid:1"), absl::string_view::npos);
}

TEST(ConnectionLimiterTest, RaiseFdLimitRaisesTheSoftLimitToTheHardOne) {
  rlimit limit{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &limit), 0);
  const rlim_t lowered = std::min<rlim_t>(limit.rlim_max, 512);
  rlimit low = {lowered, limit.rlim_max};
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  auto raised = RaiseFdLimit();
  ASSERT_TRUE(raised.ok()) << raised.status();
  EXPECT_EQ(raised->before, lowered);
  EXPECT_EQ(raised->soft, limit.rlim_max);
  EXPECT_EQ(raised->hard, limit.rlim_max);
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &low), 0);
  EXPECT_EQ(low.rlim_cur, limit.rlim_max);
}

}  // namespace
}  // namespace recd

namespace recd {
namespace {

// "localhost" binds 127.0.0.1, which IPv4-only clients reach too.
TEST(ConnectionLimiterTest, LocalhostListensOnIpv4) {
  Owner owner;
  auto limiter = ConnectionLimiter::Listen({"localhost:0", 10});
  ASSERT_TRUE(limiter.ok()) << limiter.status();
  (*limiter)->Start([&owner](int fd) { owner.Take(fd); });
  const int fd = Connect((*limiter)->port());
  EXPECT_EQ(owner.WaitFor(1), 1u);
  close(fd);
}

}  // namespace
}  // namespace recd
