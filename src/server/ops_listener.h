#ifndef RECD_SERVER_OPS_LISTENER_H_
#define RECD_SERVER_OPS_LISTENER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace httplib {
class Server;
}

namespace recd {

class ThreadPool;

// The HTTP ops listener (ops.listen): GET /metrics (Prometheus text format),
// /healthz (the process answers: always 200), /readyz (200 when `ready`
// says so, else 503 with its reason) and any extra `pages` (the dashboard),
// served by cpp-httplib. It is
// small and bounded so a scraper or a prober cannot take the daemon from
// its gRPC clients: `threads` request threads, at most
// `max_queued_connections` accepted connections waiting for one (beyond
// that the accept thread serves one itself and accepts nothing meanwhile,
// so further clients wait in the kernel's backlog), request headers of at
// most 8 KB (the library's limit), bodies of at most `max_body_bytes`, and
// read, write and keep-alive timeouts. The daemon owns it; the callbacks
// must stay valid until Stop() or destruction, which wait for every
// request in progress. Thread-safe.
class OpsListener {
 public:
  // An answer of an extra route.
  struct Page {
    int status = 200;
    std::string content_type;
    std::string body;
  };

  struct Options {
    // HOST:PORT (IPv6 as [::1]:PORT); port 0 = any free port (see port()).
    // Required.
    std::string listen;
    // Threads answering requests (plus one accepting connections).
    int threads = 2;
    // Accepted connections waiting for a request thread.
    int max_queued_connections = 8;
    // A request's headers must arrive within read_timeout; an answer must
    // be taken within write_timeout.
    absl::Duration read_timeout = absl::Seconds(2);
    absl::Duration write_timeout = absl::Seconds(5);
    // An idle kept-alive connection holds its request thread this long at
    // most, and is closed after keep_alive_max_requests requests.
    absl::Duration keep_alive_timeout = absl::Seconds(1);
    int keep_alive_max_requests = 100;
    // Request bodies (nothing here takes one) beyond this are refused (413).
    size_t max_body_bytes = 4096;
    // The text of /metrics; an error is answered 500 with its message.
    // Required.
    std::function<absl::StatusOr<std::string>()> metrics;
    // OK when the daemon can serve; otherwise why not (/readyz). Required.
    std::function<absl::Status()> ready;
    // More GET routes by exact path (the dashboard's page and JSON),
    // called with the query parameters (the first value of each). Optional.
    std::map<std::string, std::function<Page(const std::map<std::string, std::string>& params)>> pages;
  };

  // Binds `listen` and starts answering. Fails if the address is malformed
  // or cannot be bound, naming it.
  static absl::StatusOr<std::unique_ptr<OpsListener>> Start(Options options);
  ~OpsListener();
  OpsListener(const OpsListener&) = delete;
  OpsListener& operator=(const OpsListener&) = delete;

  int port() const { return port_; }
  // Stops accepting and waits for the requests in progress. Idempotent.
  void Stop();

 private:
  explicit OpsListener(Options options);
  void Route();

  const Options options_;
  std::unique_ptr<httplib::Server> http_;
  std::thread accept_thread_;
  int port_ = 0;
};

// Splits HOST:PORT into host and port (0..65535; IPv6 hosts in brackets,
// returned without them). Errors name `field`.
absl::StatusOr<std::pair<std::string, int>> SplitHostPort(const std::string& field, const std::string& address);

}  // namespace recd

#endif  // RECD_SERVER_OPS_LISTENER_H_
