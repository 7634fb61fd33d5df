#ifndef RECD_SERVER_RECD_SERVER_H_
#define RECD_SERVER_RECD_SERVER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include <grpcpp/grpcpp.h>

#include "absl/status/statusor.h"
#include "recd/feature_store.h"
#include "server/stock_updates.h"
#include "server/admission_controller.h"
#include "server/cached_state_refresher.h"
#include "server/connection_limiter.h"
#include "server/dashboard_api.h"
#include "server/grpc_services.h"
#include "server/ops_listener.h"
#include "server/request_handler.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"
#include "server/held_refusals.h"
#include "server/token_authenticator.h"
#include "store/event_writer.h"
#include "util/thread_pool.h"

namespace recd {

// The whole daemon: feature store, serving state with reload, thread pools
// and the gRPC server (Recommender, Admin, health checking, reflection).
// Used by the `recd` binary and by integration tests on a loopback port.
class RecdServer {
 public:
  struct Options {
    std::string config_path;      // required
    std::string listen_override;  // HOST:PORT replacing server.listen; "" = none
    bool watch_files = true;      // reload when the config or bundle changes
  };

  // Opens the store (seeding it on first start), loads config and models,
  // and starts serving. Fails with the reason if any of that fails.
  static absl::StatusOr<std::unique_ptr<RecdServer>> Start(const Options& options);
  ~RecdServer();

  int port() const { return port_; }
  // The port of Admin, health and reflection: admin.listen's, or port().
  int admin_port() const { return admin_port_; }
  // The HTTP ops listener's port (ops.listen); 0 when it is off.
  int ops_port() const { return ops_ != nullptr ? ops_->port() : 0; }
  ServingStateManager& states() { return *states_; }
  // Blocks until Shutdown() is called from another thread.
  void Wait();
  // Stops accepting calls, lets running ones finish (up to `grace`).
  void Shutdown(absl::Duration grace = absl::Seconds(5));

 private:
  RecdServer() = default;
  // ServingStateManager::Options::before_swap: encodes the most recently
  // served users with `next`'s models; the returned closure puts them in
  // the state cache once `next` serves.
  std::function<void()> WarmStates(const std::shared_ptr<const ServingState>& next);
  // Builds and starts the serving server on `listen` and, with admin.listen,
  // the admin server.
  absl::Status StartListeners(const ServerConfig& config, const std::string& listen,
                              const std::shared_ptr<grpc::ServerCredentials>& credentials);
  // server.limits.max_connections, or what the fd limit leaves room for.
  int MaxConnections(const ChannelLimits& limits) const;
  // The server that carries the health service.
  grpc::Server* HealthServer() const;
  // Starts the ops listener on ops.listen, before the store and the bundle
  // load, so that probes see the daemon live and not yet ready.
  absl::Status StartOpsListener(const ServerConfig& config);
  // /readyz: OK once the store is open, the bundle loaded and the gRPC
  // listeners up; otherwise what is still under way.
  absl::Status Readiness() const;
  // /metrics: every metric once serving, the process figures before.
  absl::StatusOr<std::string> MetricsText() const;
  // The dashboard's JSON routes: `answer` once serving, else 503.
  OpsListener::Page DashboardJson(const std::function<DashboardApi::Reply()>& answer) const;

  // How far Start() has come; read by the ops listener's threads. Every
  // member Start() sets is set before kServing is stored (release), and
  // read only after it is loaded (acquire).
  enum class Phase { kOpeningStore, kLoadingBundle, kStartingListeners, kServing, kShuttingDown };
  std::atomic<Phase> phase_{Phase::kOpeningStore};


  std::unique_ptr<FeatureStore> store_;
  std::unique_ptr<ServingStateManager> states_;
  // After states_ (its tailer reads the current state): destroyed first.
  std::unique_ptr<StockUpdates> stock_updates_;
  ServerMetrics metrics_;
  std::unique_ptr<ThreadPool> scorer_pool_;
  std::unique_ptr<ThreadPool> request_pool_;
  std::unique_ptr<ThreadPool> admin_pool_;
  std::unique_ptr<AdmissionController> admission_;
  std::unique_ptr<HeldRefusals> held_refusals_;  // null: share refusals at once
  std::unique_ptr<UserStateCache> state_cache_;
  std::unique_ptr<CachedStateRefresher> refresher_;
  // After the store and the refresher it feeds, so it is drained and stopped
  // before they are destroyed.
  std::unique_ptr<EventWriter> event_writer_;
  std::unique_ptr<ShadowRanker> shadow_ranker_;  // before handler_, which uses it
  std::unique_ptr<RequestHandler> handler_;
  // Tokens listed at start (server.auth.tokens_file); 0 = no
  // authentication. Whether it is on is start-only; the table reloads.
  size_t auth_tokens_ = 0;
  bool auth_on() const { return auth_tokens_ > 0; }
  std::unique_ptr<RecommenderService> recommender_;
  std::unique_ptr<AdminService> admin_;
  std::unique_ptr<AdminElsewhereService> admin_elsewhere_;  // on the serving port when split
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<grpc::Server> admin_server_;  // null = admin on server_
  // Accepts the serving port's TCP connections and hands them to acceptor_;
  // null on a unix socket.
  std::unique_ptr<ConnectionLimiter> limiter_;
  std::unique_ptr<grpc::experimental::ExternalConnectionAcceptor> acceptor_;
  FdLimit fd_limit_;
  int port_ = 0;
  int admin_port_ = 0;
  bool shut_down_ = false;
  std::unique_ptr<DashboardApi> dashboard_;
  // Last: destroyed first, so no scrape reads a member being destroyed.
  std::unique_ptr<OpsListener> ops_;  // null = ops.listen off
};

// Fills an empty store from the config's seed files (catalog and events) so a
// fresh daemon has users and a catalog; a no-op once the store is seeded.
absl::Status SeedStoreIfEmpty(const ServerConfig& config, FeatureStore& store);

}  // namespace recd

#endif  // RECD_SERVER_RECD_SERVER_H_
