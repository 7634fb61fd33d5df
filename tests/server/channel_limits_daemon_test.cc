// The daemon's channel limits and admin listener over loopback: message
// sizes, streams per connection, idle connections (in-process and against
// the recd binary under a 1,024-descriptor limit), and admin.listen.

#include <arpa/inet.h>
#include <grpcpp/generic/generic_stub.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <fstream>
#include <future>
#include <iostream>
#include <latch>

#include "gmock/gmock.h"
#include "server/connection_limiter.h"
#include "test_util/daemon_fixture.h"
#include "test_util/generic_call.h"

extern char** environ;

namespace recd {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// A channel with a connection of its own (gRPC otherwise shares one between
// channels to the same address with the same arguments).
std::shared_ptr<grpc::Channel> OwnChannel(int port) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials(), args);
}

grpc::Status RecommendOn(const std::shared_ptr<grpc::Channel>& channel, const std::string& user,
                         int timeout_s = 10) {
  v1::RecommendRequest req;
  req.set_user_id(user);
  req.set_k(10);
  v1::RecommendResponse resp;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s));
  ctx.set_wait_for_ready(true);
  grpc::Status s = v1::Recommender::NewStub(channel)->RecommendItems(&ctx, req, &resp);
  if (s.ok() && resp.items_size() != 10) return grpc::Status(grpc::StatusCode::INTERNAL, "short answer");
  return s;
}

grpc::Status StatusOn(const std::shared_ptr<grpc::Channel>& channel, v1::GetStatusResponse* resp = nullptr) {
  v1::GetStatusResponse unused;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return v1::Admin::NewStub(channel)->GetStatus(&ctx, {}, resp ? resp : &unused);
}

grpc::Status HealthOn(const std::shared_ptr<grpc::Channel>& channel) {
  return testing_util::GenericCall(channel, testing_util::kHealthCheckMethod, "");  // HealthCheckRequest{}: no fields
}

// `n` raw TCP connections to `port` that never send a byte.
std::vector<int> OpenIdleConnections(int port, int n) {
  std::vector<int> fds;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  for (int i = 0; i < n; ++i) {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      close(fd);
      break;
    }
    fds.push_back(fd);
  }
  return fds;
}

void CloseAll(std::vector<int>& fds) {
  for (int fd : fds) close(fd);
  fds.clear();
}

double Quantile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

class ChannelLimitsDaemonTest : public DaemonTest {
 protected:
  void SetUp() override {
    DaemonTest::SetUpTestSuite();
    // The test process holds thousands of sockets of its own.
    ASSERT_TRUE(RaiseFdLimit().ok());
    server_extra_ += limits_;
    DaemonTest::SetUp();
  }
  std::string limits_;
};

class AdminListenerDaemonTest : public ChannelLimitsDaemonTest {
 protected:
  void SetUp() override {
    config_extra_ = "admin: {listen: '127.0.0.1:0'}\n";
    ChannelLimitsDaemonTest::SetUp();
    admin_channel_ = OwnChannel(server_->admin_port());
  }
  std::shared_ptr<grpc::Channel> admin_channel_;
};

TEST_F(AdminListenerDaemonTest, AdminIsUnimplementedOnTheServingPortWithAMessage) {
  ASSERT_NE(server_->admin_port(), server_->port());
  grpc::Status s = StatusOn(channel_);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
  EXPECT_NE(s.error_message().find("admin listener"), std::string::npos) << s.error_message();
  v1::ReloadConfigResponse resp;
  s = Reload(&resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(AdminListenerDaemonTest, AdminIsServedOnTheAdminPort) {
  v1::GetStatusResponse status;
  ASSERT_TRUE(StatusOn(admin_channel_, &status).ok());
  EXPECT_FALSE(status.bundle_version().empty());
  v1::ReloadConfigResponse resp;
  grpc::ClientContext ctx;
  EXPECT_TRUE(v1::Admin::NewStub(admin_channel_)->ReloadConfig(&ctx, {}, &resp).ok());
}

TEST_F(AdminListenerDaemonTest, HealthLivesOnTheAdminPortOnly) {
  EXPECT_TRUE(HealthOn(admin_channel_).ok());
  EXPECT_EQ(HealthOn(channel_).error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

TEST_F(AdminListenerDaemonTest, ServingMethodsLiveOnTheServingPortOnly) {
  EXPECT_TRUE(RecommendOn(channel_, "u1").ok());
  EXPECT_EQ(RecommendOn(admin_channel_, "u1").error_code(), grpc::StatusCode::UNIMPLEMENTED);
}

class MessageLimitsDaemonTest : public ChannelLimitsDaemonTest {
 protected:
  void SetUp() override {
    limits_ = ", limits: {max_receive_message_bytes: 4096, max_send_message_bytes: 2048}";
    ChannelLimitsDaemonTest::SetUp();
  }
};

TEST_F(MessageLimitsDaemonTest, OversizedRequestIsResourceExhaustedAndServingGoesOn) {
  v1::RecommendRequest req;
  req.set_user_id("u1");
  req.set_k(10);
  for (int i = 0; i < 40; ++i) req.add_recent_item_ids(std::string(200, 'x'));  // ~8 KB
  v1::RecommendResponse resp;
  EXPECT_EQ(Recommend(req, &resp).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(RecommendOn(channel_, "u1").ok());
}

TEST_F(MessageLimitsDaemonTest, OversizedResponseIsResourceExhaustedAndServingGoesOn) {
  v1::RecommendRequest req;
  req.set_user_id("u1");
  req.set_k(100);
  req.set_explain(true);  // per-model scores: far beyond 2 KB
  v1::RecommendResponse resp;
  EXPECT_EQ(Recommend(req, &resp).error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_TRUE(RecommendOn(channel_, "u1").ok());
}

// One connection opening 5,000 streams at once: the server lets it have 64
// (server.limits.max_concurrent_streams), the rest wait in its own
// transport; of the admitted reads it may hold half
// (server.admission.max_connection_share), and is refused beyond that, so
// another client is still answered, every time.
class StreamFloodDaemonTest : public ChannelLimitsDaemonTest {
 protected:
  void SetUp() override {
    limits_ = ", limits: {max_concurrent_streams: 64}";
    ChannelLimitsDaemonTest::SetUp();
  }
};

TEST_F(StreamFloodDaemonTest, OtherClientsAreAnsweredWhileOneConnectionOpens5000Streams) {
  auto other = OwnChannel(server_->port());
  auto timed_calls = [&](int n) {
    std::vector<double> ms;
    for (int i = 0; i < n; ++i) {
      const auto start = Clock::now();
      const grpc::Status s = RecommendOn(other, "u" + std::to_string(i % 400));
      EXPECT_TRUE(s.ok()) << s.error_message();
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    }
    return ms;
  };
  const std::vector<double> before = timed_calls(200);

  constexpr int kStreams = 5000;
  struct Call {
    grpc::ClientContext ctx;
    v1::RecommendRequest req;
    v1::RecommendResponse resp;
  };
  auto flood = OwnChannel(server_->port());
  auto stub = v1::Recommender::NewStub(flood);
  std::vector<std::unique_ptr<Call>> calls(kStreams);
  std::latch done(kStreams);
  std::atomic<int> flood_ok{0}, flood_refused{0}, flood_outstanding{kStreams};
  for (int i = 0; i < kStreams; ++i) {
    calls[i] = std::make_unique<Call>();
    calls[i]->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
    calls[i]->req.set_user_id("u" + std::to_string(i % 400));
    calls[i]->req.set_k(10);
    stub->async()->RecommendItems(&calls[i]->ctx, &calls[i]->req, &calls[i]->resp, [&](grpc::Status s) {
      if (s.ok()) flood_ok.fetch_add(1);
      if (s.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) flood_refused.fetch_add(1);
      flood_outstanding.fetch_sub(1);
      done.count_down();
    });
  }
  std::vector<double> during;
  do {
    std::vector<double> more = timed_calls(20);
    during.insert(during.end(), more.begin(), more.end());
  } while (flood_outstanding.load() > kStreams / 10);
  done.wait();
  EXPECT_GE(during.size(), 20u);
  // The flood is served as far as its share goes, refused beyond it.
  EXPECT_GT(flood_ok.load(), 0);
  EXPECT_EQ(flood_ok.load() + flood_refused.load(), kStreams);
  EXPECT_TRUE(RecommendOn(other, "u1").ok());
  // A figure for benchmarks/channel_limits.sh, not an assertion.
  std::cout << "stream flood: other client p50/p99 " << Quantile(before, 0.5) << "/" << Quantile(before, 0.99)
            << " ms before, " << Quantile(during, 0.5) << "/" << Quantile(during, 0.99) << " ms during "
            << kStreams << " streams on one connection (" << during.size() << " calls); flood " << flood_ok.load()
            << " answered, " << flood_refused.load() << " refused" << std::endl;
}

// A connection refused more than hog_refusals_per_second (here 5 within a
// tenth of a second) is a hog: its further refusals are answered after
// server.admission.share_refusal_hold_ms, with that as the retry pushback,
// so its flood is paced to its stream limit per hold.
class HeldRefusalDaemonTest : public ChannelLimitsDaemonTest {
 protected:
  void SetUp() override {
    server_extra_ = ", admission: {max_queue_ms: 10000, max_in_flight_reads: 8, max_connection_share: 0.25, "
                    "share_refusal_hold_ms: 300, hog_refusals_per_second: 50}";
    ChannelLimitsDaemonTest::SetUp();
  }
};

TEST_F(HeldRefusalDaemonTest, HogConnectionIsRefusedAfterTheHoldWithItAsPushback) {
  constexpr int kCalls = 40;
  struct Call {
    grpc::ClientContext ctx;
    v1::RecommendRequest req;
    v1::RecommendResponse resp;
    grpc::Status status;
    double ms = 0;
  };
  auto stub = v1::Recommender::NewStub(OwnChannel(server_->port()));
  std::vector<std::unique_ptr<Call>> calls(kCalls);
  std::latch done(kCalls);
  const auto start = Clock::now();
  for (int i = 0; i < kCalls; ++i) {
    calls[i] = std::make_unique<Call>();
    Call* call = calls[i].get();
    call->ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    call->req.set_user_id("u" + std::to_string(i));
    call->req.set_k(20);
    call->req.set_explain(true);
    stub->async()->RecommendItems(&call->ctx, &call->req, &call->resp, [call, start, &done](grpc::Status s) {
      call->ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
      call->status = std::move(s);
      done.count_down();
    });
  }
  done.wait();
  int at_once = 0, held = 0;
  for (const auto& call : calls) {
    if (call->status.ok()) continue;
    ASSERT_EQ(call->status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << call->status.error_message();
    const auto& trailers = call->ctx.GetServerTrailingMetadata();
    auto pushback = trailers.find("grpc-retry-pushback-ms");
    ASSERT_NE(pushback, trailers.end());
    if (call->status.error_message().find("refused over and over") == std::string::npos) {
      ++at_once;
      continue;
    }
    ++held;
    EXPECT_GE(call->ms, 300.0) << "a hog's refusal was answered before its hold";
    EXPECT_EQ(std::string(pushback->second.data(), pushback->second.size()), "300");
  }
  EXPECT_GT(held, 0) << "40 calls at once on a connection allowed 2: " << at_once << " refused at once, none held";
  // 5 a tenth of a second, and the tenth may turn while they arrive.
  EXPECT_LE(at_once, 10);
}

class IdleConnectionsDaemonTest : public ChannelLimitsDaemonTest {
 protected:
  void SetUp() override {
    limits_ = ", limits: {max_connections: 50, max_connection_idle_ms: 1000}";
    ChannelLimitsDaemonTest::SetUp();
  }
};

TEST_F(IdleConnectionsDaemonTest, NewClientIsServedPastTheCapAndAfter) {
  std::vector<int> idle = OpenIdleConnections(server_->port(), 300);
  ASSERT_EQ(idle.size(), 300u);
  EXPECT_TRUE(RecommendOn(OwnChannel(server_->port()), "u1").ok());
  v1::GetStatusResponse status;
  ASSERT_TRUE(StatusOn(OwnChannel(server_->port()), &status).ok());
  EXPECT_EQ(status.counters().at("max_connections"), 50);
  EXPECT_LE(status.counters().at("open_connections"), 50);
  EXPECT_GE(status.counters().at("evicted_connections"), 250);
  EXPECT_EQ(status.counters().at("accept_errors"), 0);
  CloseAll(idle);
  EXPECT_TRUE(RecommendOn(OwnChannel(server_->port()), "u2").ok());
}

TEST_F(IdleConnectionsDaemonTest, SilentConnectionIsClosedAfterMaxIdle) {
  std::vector<int> idle = OpenIdleConnections(server_->port(), 1);
  ASSERT_EQ(idle.size(), 1u);
  pollfd p{idle[0], POLLIN, 0};
  // GOAWAY after 1 s idle, then the connection ends: the peer sees EOF.
  bool closed = false;
  const auto until = Clock::now() + std::chrono::seconds(10);
  while (!closed && Clock::now() < until) {
    if (poll(&p, 1, 1000) > 0) {
      char buf[256];
      const ssize_t n = recv(idle[0], buf, sizeof(buf), MSG_DONTWAIT);
      closed = n == 0 || (n < 0 && errno != EAGAIN);
    }
  }
  EXPECT_TRUE(closed);
  CloseAll(idle);
}

// The recd binary under `ulimit -n 1024` (soft and hard), as an operator
// would start it, with 2,000 idle connections opened against it.
class FdLimitDaemonTest : public ChannelLimitsDaemonTest {
 protected:
  void TearDown() override {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
    ChannelLimitsDaemonTest::TearDown();
  }

  // Starts recd on the fixture's config and store (the in-process server
  // is stopped first: one process per store). Returns its port.
  // `env` runs it: an env(1) command line ending in what env execs.
  int StartBinary(int fd_limit, const std::string& env = "env") {
    server_.reset();
    const int port = FreePort();
    const std::string cmd = "ulimit -n " + std::to_string(fd_limit) + " && exec " + env + " " + RECD_BINARY_DIR +
                            "/recd --config " + config_path_.string() + " --listen 127.0.0.1:" +
                            std::to_string(port) + " > " + (test_dir_ / "recd.log").string() + " 2>&1";
    const char* argv[] = {"/bin/sh", "-c", cmd.c_str(), nullptr};
    EXPECT_EQ(posix_spawn(&pid_, "/bin/sh", nullptr, nullptr, const_cast<char**>(argv), environ), 0);
    return port;
  }

  static int FreePort() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
  }

  int64_t RssKb() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(in, line)) {
      if (line.starts_with("VmRSS:")) return std::stoll(line.substr(6));
    }
    return -1;
  }

  // The NUL-separated environment of the running binary.
  std::string Environment() const {
    std::ifstream in("/proc/" + std::to_string(pid_) + "/environ");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  pid_t pid_ = 0;
};

// Large allocations go on transparent huge pages (README, Issue 8, third
// step): recd re-executes itself with glibc's tunable set, keeping its PID;
// an operator's own setting of the tunable is kept, and it serves either way.
TEST_F(FdLimitDaemonTest, TheBinaryRunsWithHugePageMallocUnlessTheOperatorSaysOtherwise) {
  int port = StartBinary(1024, "env -u GLIBC_TUNABLES");
  ASSERT_TRUE(RecommendOn(OwnChannel(port), "u1", /*timeout_s=*/60).ok()) << "recd did not start";
  EXPECT_NE(Environment().find(std::string("GLIBC_TUNABLES=glibc.malloc.hugetlb=1") + '\0'), std::string::npos);
  std::string name;
  std::getline(std::ifstream("/proc/" + std::to_string(pid_) + "/comm"), name);
  EXPECT_EQ(name, "recd");  // as ps and pidof show it
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);

  port = StartBinary(1024, "env GLIBC_TUNABLES=glibc.malloc.hugetlb=0");
  ASSERT_TRUE(RecommendOn(OwnChannel(port), "u1", /*timeout_s=*/60).ok()) << "recd did not start";
  EXPECT_NE(Environment().find(std::string("GLIBC_TUNABLES=glibc.malloc.hugetlb=0") + '\0'), std::string::npos);
  EXPECT_EQ(Environment().find("hugetlb=1"), std::string::npos);
}

TEST_F(FdLimitDaemonTest, TwoThousandIdleConnectionsUnderUlimit1024DoNotLockClientsOut) {
  rlimit own{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &own), 0);
  if (own.rlim_cur < 2200) GTEST_SKIP() << "this test process may hold only " << own.rlim_cur << " descriptors";
  const int port = StartBinary(1024);
  ASSERT_TRUE(RecommendOn(OwnChannel(port), "u1", /*timeout_s=*/60).ok()) << "recd did not start";
  const int64_t rss_before = RssKb();

  std::vector<int> idle = OpenIdleConnections(port, 2000);
  ASSERT_EQ(idle.size(), 2000u);
  // During: a new client (a new connection) is served.
  EXPECT_TRUE(RecommendOn(OwnChannel(port), "u2").ok());
  v1::GetStatusResponse status;
  ASSERT_TRUE(StatusOn(OwnChannel(port), &status).ok());
  const int64_t rss_during = RssKb();
  EXPECT_EQ(status.counters().at("fd_limit"), 1024);
  EXPECT_LT(status.counters().at("max_connections"), 1024);
  EXPECT_LE(status.counters().at("open_connections"), status.counters().at("max_connections"));
  EXPECT_EQ(status.counters().at("accept_errors"), 0);
  EXPECT_LT(status.counters().at("open_fds"), 1024);
  // Bounded memory: the cap, not the 2,000, sets what they cost.
  EXPECT_LT(rss_during - rss_before, 200 * 1024);
  std::cout << "2000 idle connections under ulimit -n 1024: RSS " << rss_before / 1024 << " MB -> "
            << rss_during / 1024 << " MB; " << status.counters().at("open_connections") << " held (cap "
            << status.counters().at("max_connections") << "), " << status.counters().at("evicted_connections")
            << " shut down, " << status.counters().at("open_fds") << " fds open" << std::endl;

  // After: the idle ones gone, clients are served as before.
  CloseAll(idle);
  EXPECT_TRUE(RecommendOn(OwnChannel(port), "u3").ok());
  ASSERT_TRUE(StatusOn(OwnChannel(port), &status).ok());
  EXPECT_EQ(status.counters().at("accept_errors"), 0);
}

}  // namespace
}  // namespace recd
