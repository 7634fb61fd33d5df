#include "server/ops_listener.h"

#include <httplib.h>
#include <sys/socket.h>

#include <atomic>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "server/prometheus_writer.h"
#include "spdlog/spdlog.h"
#include "util/thread_pool.h"

namespace recd {
namespace {

// httplib's task queue (one task per accepted connection) on our ThreadPool,
// bounded: when max_queued connections already wait, the accept thread
// serves the new one itself, so it stops accepting until that one is done
// and the kernel's backlog holds the rest. A task is never dropped (it owns
// the connection's socket, which only it closes).
class BoundedTaskQueue : public httplib::TaskQueue {
 public:
  BoundedTaskQueue(int threads, int max_queued)
      : pool_(std::make_unique<ThreadPool>(threads, "ops-http")), max_queued_(max_queued) {}

  void enqueue(std::function<void()> fn) override {
    if (waiting_.load(std::memory_order_relaxed) >= max_queued_) {
      fn();
      return;
    }
    waiting_.fetch_add(1, std::memory_order_relaxed);
    pool_->Submit([this, fn = std::move(fn)] {
      waiting_.fetch_sub(1, std::memory_order_relaxed);
      fn();
    });
  }

  // Serves what is queued, then joins the threads.
  void shutdown() override { pool_.reset(); }

 private:
  std::unique_ptr<ThreadPool> pool_;
  const int max_queued_;
  std::atomic<int> waiting_{0};
};

std::pair<time_t, time_t> SecondsAndMicros(absl::Duration d) {
  const int64_t us = absl::ToInt64Microseconds(d);
  return {static_cast<time_t>(us / 1000000), static_cast<time_t>(us % 1000000)};
}

}  // namespace

absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& field, const std::string& address) {
  const size_t colon = address.rfind(':');
  int port = -1;
  if (colon == std::string::npos || colon == 0 || !absl::SimpleAtoi(address.substr(colon + 1), &port) || port < 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": must be HOST:PORT (port 0..65535), got '", address, "'"));
  }
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (host.empty() || host.find_first_of("[]") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": bad host in '", address, "'"));
  }
  return std::make_pair(host, port);
}

OpsListener::OpsListener(Options options) : options_(std::move(options)), http_(std::make_unique<httplib::Server>()) {}

OpsListener::~OpsListener() { Stop(); }

absl::StatusOr<std::unique_ptr<OpsListener>> OpsListener::Start(Options options) {
  if (!options.metrics || !options.ready) return absl::InvalidArgumentError("ops listener: callbacks missing");
  if (options.threads < 1 || options.max_queued_connections < 0) {
    return absl::InvalidArgumentError("ops listener: threads must be >= 1 and max_queued_connections >= 0");
  }
  auto address = SplitHostPort("ops.listen", options.listen);
  if (!address.ok()) return address.status();
  auto listener = std::unique_ptr<OpsListener>(new OpsListener(std::move(options)));
  const Options& o = listener->options_;
  httplib::Server& http = *listener->http_;
  http.new_task_queue = [threads = o.threads, queued = o.max_queued_connections] {
    return new BoundedTaskQueue(threads, queued);
  };
  const auto [read_s, read_us] = SecondsAndMicros(o.read_timeout);
  const auto [write_s, write_us] = SecondsAndMicros(o.write_timeout);
  http.set_read_timeout(read_s, read_us);
  http.set_write_timeout(write_s, write_us);
  http.set_keep_alive_timeout(std::max<time_t>(1, absl::ToInt64Seconds(o.keep_alive_timeout)));
  http.set_keep_alive_max_count(static_cast<size_t>(std::max(1, o.keep_alive_max_requests)));
  http.set_payload_max_length(o.max_body_bytes);
  // httplib's default also sets SO_REUSEPORT, which would let a second
  // daemon bind the same port and take half the scrapes: a port in use must
  // fail the start instead.
  http.set_socket_options([](int sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
  });
  listener->Route();

  const auto& [host, port] = *address;
  const int bound = port == 0 ? http.bind_to_any_port(host) : (http.bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return absl::UnavailableError(absl::StrCat("ops.listen: cannot listen on ", o.listen));
  }
  listener->port_ = bound;
  auto finished = std::make_shared<std::atomic<bool>>(false);
  listener->accept_thread_ = std::thread([&http, finished] {
    http.listen_after_bind();
    finished->store(true);
  });
  // Until the accept loop runs, httplib's stop() would not reach it (and
  // Stop() would wait forever): return only once it does.
  while (!http.is_running() && !finished->load()) absl::SleepFor(absl::Milliseconds(1));
  if (finished->load()) {
    listener->accept_thread_.join();
    return absl::UnavailableError(absl::StrCat("ops.listen: cannot accept on ", o.listen));
  }
  return listener;
}

void OpsListener::Route() {
  httplib::Server& http = *http_;
  http.Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    absl::StatusOr<std::string> text = options_.metrics();
    if (!text.ok()) {
      spdlog::error("/metrics: {}", std::string(text.status().message()));
      res.status = 500;
      res.set_content(absl::StrCat(text.status().message(), "\n"), "text/plain");
      return;
    }
    res.set_content(*std::move(text), PrometheusWriter::kContentType);
  });
  http.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok\n", "text/plain"); });
  http.Get("/readyz", [this](const httplib::Request&, httplib::Response& res) {
    const absl::Status ready = options_.ready();
    if (ready.ok()) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content(absl::StrCat("not ready: ", ready.message(), "\n"), "text/plain");
    }
  });
  for (const auto& [path, page] : options_.pages) {
    http.Get(path, [&page = page](const httplib::Request& req, httplib::Response& res) {
      std::map<std::string, std::string> params;
      for (const auto& [key, value] : req.params) params.emplace(key, value);  // the first of each
      Page answer = page(params);
      res.status = answer.status;
      res.set_content(std::move(answer.body), answer.content_type);
    });
  }
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
    res.status = 500;
    res.set_content("internal error\n", "text/plain");
  });
}

void OpsListener::Stop() {
  if (!accept_thread_.joinable()) return;
  // listen_after_bind() returns once the accept loop has stopped and the
  // task queue has served and joined its connections.
  http_->stop();
  accept_thread_.join();
}

}  // namespace recd
