#include "server/connection_limiter.h"

#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// After an accept failed for lack of descriptors or memory: long enough for
// the owner to close what was shut down, short enough that a client in the
// backlog hardly notices.
constexpr int kRetryAfterErrorMs = 10;
// At the cap, this fraction (1/N) of the held connections, the most silent,
// is shut down at once.
constexpr size_t kEvictBatchDivisor = 32;

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// "HOST:PORT", "[::1]:PORT" -> host and port strings.
absl::Status SplitHostPort(const std::string& listen, std::string& host, std::string& port) {
  const size_t colon = listen.rfind(':');
  if (colon == std::string::npos) return absl::InvalidArgumentError(absl::StrCat(listen, ": must be HOST:PORT"));
  host = listen.substr(0, colon);
  port = listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  return absl::OkStatus();
}

absl::StatusOr<int> BindAndListen(const std::string& listen) {
  std::string host, port;
  if (auto s = SplitHostPort(listen, host, port); !s.ok()) return s;
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  if (int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::InvalidArgumentError(absl::StrCat(listen, ": ", gai_strerror(rc)));
  }
  // IPv4 first: "localhost" then takes 127.0.0.1, which every client can
  // reach, rather than ::1 alone.
  std::vector<addrinfo*> candidates;
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) candidates.push_back(a);
  std::stable_partition(candidates.begin(), candidates.end(), [](addrinfo* a) { return a->ai_family == AF_INET; });
  absl::Status last = absl::UnavailableError(absl::StrCat(listen, ": no address"));
  for (addrinfo* a : candidates) {
    const int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) {
      last = Errno(absl::StrCat("socket for ", listen));
      continue;
    }
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, SOMAXCONN) == 0) {
      freeaddrinfo(found);
      return fd;
    }
    last = Errno(absl::StrCat("cannot listen on ", listen));
    close(fd);
  }
  freeaddrinfo(found);
  return last;
}

int LocalPort(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof(addr);
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

// The inode of an open socket descriptor, 0 if it is not open.
ino_t InodeOf(int fd) {
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return 0;
  return st.st_ino;
}

}  // namespace

absl::StatusOr<std::unique_ptr<ConnectionLimiter>> ConnectionLimiter::Listen(const Options& options) {
  if (options.max_connections < 1) return absl::InvalidArgumentError("max_connections: must be >= 1");
  auto limiter = std::unique_ptr<ConnectionLimiter>(new ConnectionLimiter(options));
  auto fd = BindAndListen(options.listen);
  if (!fd.ok()) return fd.status();
  limiter->listen_fd_ = *fd;
  limiter->port_ = LocalPort(*fd);
  limiter->wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (limiter->wake_fd_ < 0) return Errno("eventfd");
  return limiter;
}

ConnectionLimiter::~ConnectionLimiter() {
  Stop();
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void ConnectionLimiter::Start(std::function<void(int fd)> hand_off) {
  hand_off_ = std::move(hand_off);
  thread_ = std::thread([this] { AcceptLoop(); });
}

void ConnectionLimiter::Stop() {
  stop_ = true;
  const uint64_t one = 1;
  if (wake_fd_ >= 0) (void)!write(wake_fd_, &one, sizeof(one));
  if (thread_.joinable()) thread_.join();
}

int64_t ConnectionLimiter::open_connections() {
  absl::MutexLock lock(&mu_);
  PruneLocked();
  return static_cast<int64_t>(open_.size());
}

void ConnectionLimiter::AcceptLoop() {
  int timeout_ms = -1;
  while (!stop_.load()) {
    pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    poll(fds, 2, timeout_ms);
    if (stop_.load()) break;
    timeout_ms = AcceptAll() ? -1 : kRetryAfterErrorMs;
  }
}

bool ConnectionLimiter::AcceptAll() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays in the
      // backlog; make room and try again shortly, never give up.
      if (accept_errors_.fetch_add(1) % 1000 == 0) {
        spdlog::warn("accept on port {}: {} ({} so far); shutting down the most idle connection", port_,
                     std::strerror(errno), accept_errors_.load());
      }
      absl::MutexLock lock(&mu_);
      PruneLocked();
      EvictLocked();
      return false;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    {
      absl::MutexLock lock(&mu_);
      if (static_cast<int>(open_.size()) >= options_.max_connections) PruneLocked();
      if (static_cast<int>(open_.size()) >= options_.max_connections) EvictLocked();
      open_[fd] = InodeOf(fd);
    }
    accepted_.fetch_add(1);
    hand_off_(fd);
  }
}

void ConnectionLimiter::PruneLocked() {
  absl::erase_if(open_, [](const auto& entry) { return InodeOf(entry.first) != entry.second; });
}

int ConnectionLimiter::EvictLocked() {
  // A scan reads TCP_INFO of every held connection, so a flood is met with
  // one scan per batch rather than per connection.
  const size_t batch = std::max<size_t>(1, open_.size() / kEvictBatchDivisor);
  std::vector<std::pair<uint32_t, int>> silent;  // ms since data arrived, fd
  silent.reserve(open_.size());
  for (const auto& [fd, inode] : open_) {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &info, &len) == 0) silent.emplace_back(info.tcpi_last_data_recv, fd);
  }
  const size_t n = std::min(batch, silent.size());
  std::partial_sort(silent.begin(), silent.begin() + static_cast<std::ptrdiff_t>(n), silent.end(),
                    std::greater<>());
  for (size_t i = 0; i < n; ++i) {
    const int fd = silent[i].second;
    // The inode check skips a number the owner has closed and the process
    // reused since. The owner sees the connection end and closes it.
    if (InodeOf(fd) == open_[fd]) shutdown(fd, SHUT_RDWR);
    open_.erase(fd);
  }
  evicted_.fetch_add(static_cast<int64_t>(n));
  return static_cast<int>(n);
}

absl::StatusOr<FdLimit> RaiseFdLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return Errno("getrlimit(RLIMIT_NOFILE)");
  FdLimit result{limit.rlim_cur, limit.rlim_cur, limit.rlim_max};
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0) return Errno("setrlimit(RLIMIT_NOFILE)");
    result.soft = limit.rlim_max;
  }
  return result;
}

int CountOpenFds() {
  std::error_code error;
  int n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/self/fd", error);
       !error && it != std::filesystem::directory_iterator(); it.increment(error)) {
    ++n;
  }
  return n;
}

}  // namespace recd
