#include "server/recd_server.h"

#include <Eigen/Core>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>

#include <malloc.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "ranking/recommend.h"
#include "ranking/state_refresh.h"
#include "recd/feature_store_factory.h"
#include "server/dashboard_page.h"
#include "server/metrics_exposition.h"
#include "server/tls_credentials.h"
#include "spdlog/spdlog.h"
#include "util/json_log_formatter.h"
#include "util/usable_cores.h"

namespace recd {
namespace {

// Takes the reflection plugin (registered process-wide) out of one server:
// with authentication on, reflection would describe the API to anyone, and
// it cannot be given a role of its own.
class WithoutReflection : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    std::erase_if(*plugins, [](const auto& p) { return p->name().find("reflection") != std::string::npos; });
  }
};

// server.limits as channel arguments, for every listener.
void ApplyLimits(const ChannelLimits& limits, grpc::ServerBuilder& builder) {
  builder.SetMaxReceiveMessageSize(limits.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(limits.max_send_message_bytes);
  // Bounds what one connection can have in flight inside the server: past
  // it the client's transport waits, so a flood costs the client, not
  // gRPC's backlog here (which admission control only sees once a call
  // reaches its handler).
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS, limits.keepalive_time_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, limits.keepalive_timeout_ms);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, limits.min_ping_interval_ms);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, limits.permit_keepalive_without_calls ? 1 : 0);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, limits.max_ping_strikes);
  if (limits.max_connection_idle_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS, limits.max_connection_idle_ms);
  }
  if (limits.max_connection_age_ms > 0) {
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, limits.max_connection_age_ms);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, limits.max_connection_age_grace_ms);
  }
  builder.AddChannelArgument(GRPC_ARG_SERVER_HANDSHAKE_TIMEOUT_MS, limits.handshake_timeout_ms);
}

bool IsLoopback(const std::string& listen) {
  const std::string host = listen.substr(0, listen.rfind(':'));
  return host == "localhost" || host.starts_with("127.") || host == "[::1]" || host == "::1" ||
         host.starts_with("unix:");
}

// The feature store that store.backend names.
absl::StatusOr<std::unique_ptr<FeatureStore>> OpenConfiguredStore(const ServerConfig& config) {
  if (config.store_backend == "redis") {
    RedisStoreOptions options;
    options.nodes = config.redis_nodes;
    options.key_prefix = config.redis_key_prefix;
    options.max_history = config.history_length;
    options.wait_replicas = config.redis_wait_replicas;
    options.wait_timeout_ms = config.redis_wait_timeout_ms;
    options.connect_timeout_ms = config.redis_connect_timeout_ms;
    options.command_timeout_ms = config.redis_command_timeout_ms;
    options.pool_size = config.redis_pool_size;
    auto store = OpenRedisFeatureStore(options);
    if (!store.ok()) {
      return absl::Status(store.status().code(), absl::StrCat("store.redis.nodes: ", store.status().message()));
    }
    return store;
  }
  RocksDbStoreOptions options;
  options.path = config.store_path;
  options.max_history = config.history_length;
  options.history_cache_entries = static_cast<size_t>(config.history_cache_entries);
  return OpenRocksDbFeatureStore(options);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecdServer>> RecdServer::Start(const Options& options) {
  auto config = ServerConfig::LoadFile(options.config_path);
  if (!config.ok()) return config.status();
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  UseJsonLogs(config->log_format == "json");
  // Requests run in parallel on the pools; Eigen's own OpenMP threads inside
  // a request (MF fold-in products) would only oversubscribe the cores.
  Eigen::setNbThreads(1);
  // Bundles are read into memory and replaced whole on every swap: give
  // blocks of 4 MB and more their own mappings, returned to the system when
  // freed, instead of letting glibc's adaptive threshold move them onto a
  // heap that a swap every few seconds fragments (RSS grew per swap).
  mallopt(M_MMAP_THRESHOLD, 4 << 20);
  auto server = std::unique_ptr<RecdServer>(new RecdServer());
  // Security files first: a bad one fails the start before the store and
  // bundle take seconds to open.
  auto credentials = MakeServerCredentials(*config);
  if (!credentials.ok()) return credentials.status();
  if (!config->auth_tokens_file.empty()) {
    // Checked here to fail fast; the table served is the serving state's,
    // read again on every reload.
    auto auth = TokenAuthenticator::Load(config->auth_tokens_file);
    if (!auth.ok()) {
      return absl::Status(auth.status().code(), absl::StrCat("server.auth.tokens_file: ", auth.status().message()));
    }
    server->auth_tokens_ = (*auth)->num_tokens();
  }

  if (auto s = server->StartOpsListener(*config); !s.ok()) return s;

  // Before the store opens: its files count against the same limit.
  if (auto raised = RaiseFdLimit(); raised.ok()) {
    server->fd_limit_ = *raised;
  } else {
    spdlog::warn("file-descriptor limit not raised: {}", std::string(raised.status().message()));
  }
  auto store = OpenConfiguredStore(*config);
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);
  if (auto s = SeedStoreIfEmpty(*config, *server->store_); !s.ok()) return s;

  server->phase_.store(Phase::kLoadingBundle);
  server->state_cache_ = std::make_unique<UserStateCache>(static_cast<size_t>(config->state_cache_entries));
  ServingStateManager::Options state_options;
  state_options.config_path = options.config_path;
  state_options.store = server->store_.get();
  state_options.before_swap = [s = server.get()](const std::shared_ptr<const ServingState>& next) {
    // A new bundle's catalog was read from the store, maybe before the
    // newest stock changes reached it: apply them before it takes traffic,
    // and again after (a change applied in between went to the old one).
    s->stock_updates_->Reapply(*next);
    std::function<void()> warmed = s->WarmStates(next);
    return std::function<void()>([s, next, warmed] {
      if (warmed) warmed();
      s->stock_updates_->Reapply(*next);
    });
  };
  // Where the other replicas' stock changes start for us: before the first
  // catalog is read from the store, so none falls in between.
  CatalogFeed* feed = server->store_->catalog_feed();
  std::string feed_cursor;
  if (feed != nullptr) {
    absl::StatusOr<std::string> tail = feed->Tail();
    if (!tail.ok()) return absl::Status(tail.status().code(), absl::StrCat("catalog feed: ", tail.status().message()));
    feed_cursor = *std::move(tail);
  }
  auto states = ServingStateManager::Create(state_options);
  if (!states.ok()) return states.status();
  server->states_ = *std::move(states);
  // The feed's blocking read must end well within a Redis command's timeout.
  const absl::Duration poll_wait =
      std::min(absl::Milliseconds(500), absl::Milliseconds(config->redis_command_timeout_ms) / 2);
  server->stock_updates_ = std::make_unique<StockUpdates>(server->states_.get(), feed, feed_cursor, poll_wait);

  const int cores = UsableCores();
  const int scorer_threads = config->threads > 0 ? config->threads : cores;
  server->scorer_pool_ = std::make_unique<ThreadPool>(scorer_threads, "scorer");
  // Request threads mostly wait for scorers; twice as many keep the scorers busy.
  const int request_threads = 2 * scorer_threads;
  server->request_pool_ = std::make_unique<ThreadPool>(request_threads, "request");
  // Admin calls never wait behind serving traffic.
  server->admin_pool_ = std::make_unique<ThreadPool>(1, "admin");
  AdmissionController::Options admission;
  // One call queued behind each running one: enough to keep every thread
  // busy between completions, little enough that an admitted call waits
  // about one service time.
  admission.max_in_flight_reads = config->max_in_flight_reads > 0 ? config->max_in_flight_reads : 2 * request_threads;
  admission.max_in_flight_writes = config->max_in_flight_writes > 0 ? config->max_in_flight_writes : 256;
  admission.max_queue_time = absl::Milliseconds(config->max_queue_ms);
  admission.max_connection_share = config->max_connection_share;
  admission.hog_refusals_per_second = config->hog_refusals_per_second;
  server->admission_ = std::make_unique<AdmissionController>(admission);
  server->metrics_.SetExtraCounters([s = server.get()] {
    const std::shared_ptr<const ServingState> state = s->states_->Current();
    const LiveItemStats::Stats live = state->live != nullptr ? state->live->stats() : LiveItemStats::Stats{};
    return std::map<std::string, int64_t>{
        // The live bundle's overlay (README, Learning during the day); 0 without one.
        {"live_events", live.events},
        {"live_forgotten_events", live.forgotten},
        {"live_items", live.items},
        {"live_pairs", live.pairs},
        {"live_max_pairs", state->live != nullptr ? state->live->options().max_pairs : 0},
        {"live_pruned_pairs", live.pruned},
        {"live_memory_bytes", live.memory_bytes},
        {"live_generation", static_cast<int64_t>(live.generation)},
        // Catalog items added since the bundle was trained, served (README, New catalog items).
        {"catalog_new_items", state->bundle->num_items() - state->bundle->trained_items()},
        {"catalog_max_new_items", state->config->max_new_items},
        {"refused_reads", s->admission_->refused(AdmissionController::Lane::kRead)},
        {"refused_writes", s->admission_->refused(AdmissionController::Lane::kWrite)},
        {"refused_connection_share", s->admission_->refused_connection_share()},
        {"reloads", s->states_->reloads()},
        {"rejected_reloads", s->states_->rejected_reloads()},
        {"stock_changes_applied", s->stock_updates_->applied()},
        {"catalog_feed_errors", s->stock_updates_->feed_errors()},
        {"fd_limit", static_cast<int64_t>(s->fd_limit_.soft)},
        {"fd_limit_at_start", static_cast<int64_t>(s->fd_limit_.before)},
        {"open_fds", CountOpenFds()},
        {"max_connections", s->limiter_ ? s->limiter_->max_connections() : 0},
        {"open_connections", s->limiter_ ? s->limiter_->open_connections() : 0},
        {"accepted_connections", s->limiter_ ? s->limiter_->accepted() : 0},
        {"evicted_connections", s->limiter_ ? s->limiter_->evicted() : 0},
        {"accept_errors", s->limiter_ ? s->limiter_->accept_errors() : 0}};
  });
  LiveFeedingOptions live_feeding;
  live_feeding.enabled = config->live_enabled;
  live_feeding.publish_interval = absl::Milliseconds(config->live_publish_ms);
  // Quarantined users' events are stored but teach the item statistics
  // nothing. The handler exists before the first event is written.
  live_feeding.excluded = [s = server.get()](const std::string& user_id) {
    return s->handler_ != nullptr && s->handler_->quarantine().IsQuarantined(user_id);
  };
  server->refresher_ = std::make_unique<CachedStateRefresher>(server->states_.get(), server->store_.get(),
                                                              server->state_cache_.get(), &server->metrics_,
                                                              std::move(live_feeding));
  EventWriter::Options writer_options;
  writer_options.max_queued_batches = static_cast<size_t>(config->write_queue_batches);
  writer_options.after_write = [refresher = server->refresher_.get()](std::vector<UserEvents> written) {
    refresher->Enqueue(std::move(written));
  };
  server->event_writer_ = std::make_unique<EventWriter>(server->store_.get(), std::move(writer_options));
  server->shadow_ranker_ = std::make_unique<ShadowRanker>(server->state_cache_.get());
  server->handler_ = std::make_unique<RequestHandler>(server->states_.get(), server->store_.get(),
                                                      server->scorer_pool_.get(), &server->metrics_,
                                                      server->state_cache_.get(), server->event_writer_.get(),
                                                      server->stock_updates_.get(), server->shadow_ranker_.get());
  if (config->share_refusal_hold_ms > 0) {
    // Bounded like the streams it can hold: a refusal past it is sent at once.
    server->held_refusals_ = std::make_unique<HeldRefusals>(absl::Milliseconds(config->share_refusal_hold_ms), 100000);
  }
  server->recommender_ = std::make_unique<RecommenderService>(server->handler_.get(), server->request_pool_.get(),
                                                              &server->metrics_, server->admission_.get(),
                                                              server->auth_on() ? server->states_.get() : nullptr,
                                                              server->held_refusals_.get());
  DashboardApi::Options dashboard;
  dashboard.metrics = &server->metrics_;
  dashboard.admission = server->admission_.get();
  dashboard.states = server->states_.get();
  dashboard.handler = server->handler_.get();
  dashboard.started = absl::Now();
  server->dashboard_ = std::make_unique<DashboardApi>(dashboard);
  server->admin_ = std::make_unique<AdminService>(server->states_.get(), server->admin_pool_.get(),
                                                  &server->metrics_, absl::Now(), server->auth_on(),
                                                  server->handler_.get());
  spdlog::info("admission: {} reads and {} writes in flight (at most {} and {} from one connection), {} ms queue bound",
               admission.max_in_flight_reads, admission.max_in_flight_writes,
               server->admission_->ConnectionLimit(AdmissionController::Lane::kRead),
               server->admission_->ConnectionLimit(AdmissionController::Lane::kWrite), config->max_queue_ms);

  const std::string listen = options.listen_override.empty() ? config->listen : options.listen_override;
  server->phase_.store(Phase::kStartingListeners);
  if (auto s = server->StartListeners(*config, listen, *credentials); !s.ok()) return s;
  server->phase_.store(Phase::kServing, std::memory_order_release);
  if (options.watch_files) server->states_->StartWatching();
  const bool tls = !config->tls_cert_file.empty();
  spdlog::info("security: {}, {}, reflection {}",
               tls ? (config->tls_client_ca_file.empty() ? "TLS" : "mutual TLS") : "plaintext",
               server->auth_on() ? absl::StrCat(server->auth_tokens_, " tokens") : "no authentication",
               server->auth_on() ? "off" : "on");
  if (!IsLoopback(listen) && (!tls || !server->auth_on())) {
    const char* why = !tls && !server->auth_on() ? "WITHOUT TLS and WITHOUT TOKENS: anyone who reaches the port can read "
                                               "and write behaviour data and reload the config"
                      : !tls ? "WITHOUT TLS: tokens and behaviour data cross the network in clear text"
                             : "WITHOUT TOKENS: every client that completes the TLS handshake may call every method";
    spdlog::warn("!!! recd listens on {} beyond loopback {}. Set server.tls.* and server.auth.tokens_file "
                 "(README, Security).", listen, why);
  }
  return server;
}

absl::Status RecdServer::StartListeners(const ServerConfig& config, const std::string& listen,
                                        const std::shared_ptr<grpc::ServerCredentials>& credentials) {
  const bool split = !config.admin_listen.empty();
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  // The limiter accepts TCP connections itself (gRPC's own listener stops
  // on the first EMFILE) and hands them to gRPC's external connection
  // acceptor, which runs them through the usual handshake (TLS included).
  // gRPC listens on unix sockets itself.
  if (!listen.starts_with("unix:")) {
    auto limiter = ConnectionLimiter::Listen({listen, MaxConnections(config.limits)});
    if (!limiter.ok()) return limiter.status();
    limiter_ = *std::move(limiter);
  }

  // The serving port. Health checking and reflection go with the admin
  // service; the switch is process-wide, read when a server is built.
  grpc::EnableDefaultHealthCheckService(!split);
  grpc::ServerBuilder builder;
  ApplyLimits(config.limits, builder);
  if (limiter_ == nullptr) {
    builder.AddListeningPort(listen, credentials, &port_);
  } else {
    acceptor_ = builder.experimental().AddExternalConnectionAcceptor(
        grpc::ServerBuilder::experimental_type::ExternalConnectionType::FROM_FD, credentials);
  }
  if (auth_on() || split) builder.SetOption(std::make_unique<WithoutReflection>());
  builder.RegisterService(recommender_.get());
  if (split) {
    admin_elsewhere_ = std::make_unique<AdminElsewhereService>(&metrics_);
    builder.RegisterService(admin_elsewhere_.get());
  } else {
    builder.RegisterService(admin_.get());
  }
  server_ = builder.BuildAndStart();
  if (limiter_ != nullptr) port_ = limiter_->port();
  if (server_ == nullptr || port_ == 0) return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  if (limiter_ != nullptr) {
    limiter_->Start([acceptor = acceptor_.get(), listener = limiter_->listen_fd()](int fd) {
      grpc::experimental::ExternalConnectionAcceptor::NewConnectionParameters connection;
      connection.listener_fd = listener;
      connection.fd = fd;
      acceptor->HandleNewConnection(&connection);
    });
  }

  if (split) {
    grpc::EnableDefaultHealthCheckService(true);
    grpc::ServerBuilder admin;
    ApplyLimits(config.limits, admin);
    admin.AddListeningPort(config.admin_listen, credentials, &admin_port_);
    if (auth_on()) admin.SetOption(std::make_unique<WithoutReflection>());
    admin.RegisterService(admin_.get());
    admin_server_ = admin.BuildAndStart();
    if (admin_server_ == nullptr || admin_port_ == 0) {
      return absl::UnavailableError(absl::StrCat("admin.listen: cannot listen on ", config.admin_listen));
    }
    if (!IsLoopback(config.admin_listen)) {
      spdlog::warn("admin.listen {} is beyond loopback: ReloadConfig and GetStatus are reachable from the network",
                   config.admin_listen);
    }
  } else {
    admin_port_ = port_;
  }
  HealthServer()->GetHealthCheckService()->SetServingStatus(true);
  spdlog::info("listening on {} (port {}){}", listen, port_,
               split ? absl::StrCat("; admin, health and reflection on ", config.admin_listen, " (port ",
                                    admin_port_, ")")
                     : std::string("; admin, health and reflection on the same port"));
  if (limiter_ != nullptr) {
    spdlog::info("file descriptors: limit {} (was {}, hard {}), {} open; at most {} client connections",
                 fd_limit_.soft, fd_limit_.before, fd_limit_.hard, CountOpenFds(), limiter_->max_connections());
  } else {
    spdlog::warn("file descriptors: limit {} (was {}, hard {}); on a unix socket gRPC accepts connections "
                 "itself, server.limits.max_connections is not enforced and a flood of idle connections can "
                 "lock clients out (README, Channel limits)",
                 fd_limit_.soft, fd_limit_.before, fd_limit_.hard);
  }
  return absl::OkStatus();
}

absl::Status RecdServer::StartOpsListener(const ServerConfig& config) {
  if (config.ops_listen.empty()) return absl::OkStatus();
  OpsListener::Options options;
  options.listen = config.ops_listen;
  options.metrics = [this] { return MetricsText(); };
  options.ready = [this] { return Readiness(); };
  options.pages["/"] = [](const auto&) {
    return OpsListener::Page{200, "text/html; charset=utf-8", std::string(DashboardHtml())};
  };
  options.pages["/api/status"] = [this](const auto&) {
    return DashboardJson([this] { return dashboard_->Status(); });
  };
  options.pages["/api/recommend"] = [this](const std::map<std::string, std::string>& params) {
    return DashboardJson([this, &params] { return dashboard_->Recommend(params); });
  };
  auto ops = OpsListener::Start(std::move(options));
  if (!ops.ok()) return ops.status();
  ops_ = *std::move(ops);
  spdlog::info("ops listener on {} (port {}): /metrics, /healthz, /readyz, dashboard at /", config.ops_listen,
               ops_->port());
  if (!IsLoopback(config.ops_listen)) {
    spdlog::warn("ops.listen {} is beyond loopback: /metrics and the dashboard, whose try-it panel ranks for any "
                 "user id, are reachable from the network without authentication",
                 config.ops_listen);
  }
  return absl::OkStatus();
}

absl::Status RecdServer::Readiness() const {
  switch (phase_.load(std::memory_order_acquire)) {
    case Phase::kOpeningStore:
      return absl::UnavailableError("opening the feature store");
    case Phase::kLoadingBundle:
      return absl::UnavailableError("loading the model bundle");
    case Phase::kStartingListeners:
      return absl::UnavailableError("starting the gRPC listeners");
    case Phase::kShuttingDown:
      return absl::UnavailableError("shutting down");
    case Phase::kServing:
      break;
  }
  return absl::OkStatus();
}

OpsListener::Page RecdServer::DashboardJson(const std::function<DashboardApi::Reply()>& answer) const {
  const Phase phase = phase_.load(std::memory_order_acquire);
  if (phase != Phase::kServing && phase != Phase::kShuttingDown) {
    return {503, "application/json", nlohmann::json{{"error", std::string(Readiness().message())}}.dump()};
  }
  DashboardApi::Reply reply = answer();
  return {reply.status, "application/json", std::move(reply.body)};
}

absl::StatusOr<std::string> RecdServer::MetricsText() const {
  MetricsSources sources;
  const Phase phase = phase_.load(std::memory_order_acquire);
  if (phase == Phase::kServing || phase == Phase::kShuttingDown) {
    sources.metrics = &metrics_;
    sources.admission = admission_.get();
    sources.states = states_.get();
    sources.quarantine = &handler_->quarantine();
    sources.shadow = shadow_ranker_.get();
  }
  return ExposeMetrics(sources);
}

int RecdServer::MaxConnections(const ChannelLimits& limits) const {
  // What the store, the models, gRPC and the admin listener may still need
  // once serving: the store opens table files as it compacts.
  constexpr int64_t kReservedFds = 256;
  // Beyond a machine's fd limit, a bound on memory: an idle connection
  // costs gRPC tens of KB (README, Channel limits).
  constexpr int64_t kAutoMax = 10000;
  const int64_t room = std::max<int64_t>(16, static_cast<int64_t>(fd_limit_.soft) - CountOpenFds() - kReservedFds);
  if (limits.max_connections == 0) return static_cast<int>(std::min(room, kAutoMax));
  if (limits.max_connections > room) {
    spdlog::warn("server.limits.max_connections {} lowered to {}: the file-descriptor limit is {}",
                 limits.max_connections, room, fd_limit_.soft);
    return static_cast<int>(room);
  }
  return limits.max_connections;
}

grpc::Server* RecdServer::HealthServer() const {
  return admin_server_ != nullptr ? admin_server_.get() : server_.get();
}

RecdServer::~RecdServer() { Shutdown(); }

void RecdServer::Wait() {
  if (server_) server_->Wait();
}

void RecdServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || !server_) return;
  shut_down_ = true;
  phase_.store(Phase::kShuttingDown);  // /readyz answers 503 while calls drain
  if (auto* health = HealthServer()->GetHealthCheckService()) health->SetServingStatus(false);
  // No new connections while the calls in flight finish.
  if (limiter_ != nullptr) limiter_->Stop();
  // Held refusals are answered now: the server waits for every call.
  if (held_refusals_ != nullptr) held_refusals_->Stop();
  const auto deadline = absl::ToChronoTime(absl::Now() + grace);
  server_->Shutdown(deadline);
  if (admin_server_ != nullptr) admin_server_->Shutdown(deadline);
  // Scrapes read the pools, the admission controller and the states below.
  if (ops_ != nullptr) ops_->Stop();
  // Request tasks may still be queued: drain them before the handler goes,
  // then the writes they queued (the writer outlives its last submitter).
  request_pool_.reset();
  admin_pool_.reset();
  event_writer_.reset();
  refresher_.reset();
  scorer_pool_.reset();
  // The reload thread warms the state cache: stop it before the cache goes.
  states_.reset();
}

std::function<void()> RecdServer::WarmStates(const std::shared_ptr<const ServingState>& next) {
  const ServerConfig& config = *next->config;
  if (state_cache_ == nullptr || config.warm_users <= 0) return nullptr;
  struct Warmed {
    std::string user;
    uint64_t fingerprint;
    UserStateCache::States states;
  };
  auto warmed = std::make_shared<std::vector<Warmed>>();
  const absl::Time start = absl::Now();
  const absl::Time until = start + absl::Milliseconds(config.warm_ms);
  for (std::string& user : state_cache_->RecentUsers(static_cast<size_t>(config.warm_users))) {
    if (absl::Now() >= until) break;
    auto stored = store_->GetHistory(user);
    if (!stored.ok()) continue;
    const DenseHistory history = ToDenseHistory(stored->events, next->bundle->items());
    auto states = RefreshStates(*next->pipeline, UserHistory{history.events, -1}, /*appended=*/0, {});
    if (!states.ok()) {
      spdlog::warn("warming user {} for bundle {}: {}", user, next->bundle->version(),
                   std::string(states.status().message()));
      continue;
    }
    warmed->push_back(Warmed{std::move(user), HistoryFingerprint(history.events), *std::move(states)});
  }
  spdlog::info("bundle {}: {} recent users encoded before the swap in {:.0f} ms", next->bundle->version(),
               warmed->size(), absl::ToDoubleMilliseconds(absl::Now() - start));
  // Inserted only after the swap: before it, requests still on the old
  // bundle would overwrite them. A history that changed meanwhile makes
  // its entry miss, never serve stale states.
  return [this, warmed, bundle = next->bundle] {
    // Every other entry was encoded by the old bundle and can only miss
    // now: drop them at once rather than hold their memory until evicted.
    state_cache_->Clear();
    for (Warmed& w : *warmed) state_cache_->Insert(w.user, bundle, w.fingerprint, std::move(w.states));
    metrics_.CountStatesWarmed(static_cast<int64_t>(warmed->size()));
  };
}

}  // namespace recd
