#include "server/recd_server.h"

#include <Eigen/Core>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/health_check_service_interface.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "recd/feature_store_factory.h"
#include "spdlog/spdlog.h"

namespace recd {

absl::StatusOr<std::unique_ptr<RecdServer>> RecdServer::Start(const Options& options) {
  auto config = ServerConfig::LoadFile(options.config_path);
  if (!config.ok()) return config.status();
  spdlog::set_level(spdlog::level::from_str(config->log_level));
  // Requests run in parallel on the pools; Eigen's own OpenMP threads inside
  // a request (MF fold-in products) would only oversubscribe the cores.
  Eigen::setNbThreads(1);
  auto server = std::unique_ptr<RecdServer>(new RecdServer());

  RocksDbStoreOptions store_options;
  store_options.path = config->store_path;
  store_options.max_history = config->history_length;
  store_options.history_cache_entries = static_cast<size_t>(config->history_cache_entries);
  auto store = OpenRocksDbFeatureStore(store_options);
  if (!store.ok()) return store.status();
  server->store_ = *std::move(store);
  if (auto s = SeedStoreIfEmpty(*config, *server->store_); !s.ok()) return s;

  ServingStateManager::Options state_options;
  state_options.config_path = options.config_path;
  state_options.store = server->store_.get();
  auto states = ServingStateManager::Create(state_options);
  if (!states.ok()) return states.status();
  server->states_ = *std::move(states);

  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int scorer_threads = config->threads > 0 ? config->threads : cores;
  server->scorer_pool_ = std::make_unique<ThreadPool>(scorer_threads, "scorer");
  // Request threads mostly wait for scorers; twice as many keep the scorers busy.
  server->request_pool_ = std::make_unique<ThreadPool>(2 * scorer_threads, "request");
  server->state_cache_ = std::make_unique<UserStateCache>(static_cast<size_t>(config->state_cache_entries));
  server->refresher_ = std::make_unique<CachedStateRefresher>(server->states_.get(), server->store_.get(),
                                                              server->state_cache_.get(), &server->metrics_);
  EventWriter::Options writer_options;
  writer_options.max_queued_batches = static_cast<size_t>(config->write_queue_batches);
  writer_options.after_write = [refresher = server->refresher_.get()](std::vector<UserEvents> written) {
    refresher->Enqueue(std::move(written));
  };
  server->event_writer_ = std::make_unique<EventWriter>(server->store_.get(), std::move(writer_options));
  server->handler_ = std::make_unique<RequestHandler>(server->states_.get(), server->store_.get(),
                                                      server->scorer_pool_.get(), &server->metrics_,
                                                      server->state_cache_.get(), server->event_writer_.get());
  server->recommender_ = std::make_unique<RecommenderService>(server->handler_.get(), server->request_pool_.get(),
                                                              &server->metrics_);
  server->admin_ = std::make_unique<AdminService>(server->states_.get(), server->request_pool_.get(),
                                                  &server->metrics_, absl::Now());

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  const std::string listen = options.listen_override.empty() ? config->listen : options.listen_override;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &server->port_);
  builder.RegisterService(server->recommender_.get());
  builder.RegisterService(server->admin_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", listen));
  }
  server->server_->GetHealthCheckService()->SetServingStatus(true);
  if (options.watch_files) server->states_->StartWatching();
  auto state = server->states_->Current();
  spdlog::info("recd listening on port {} with bundle {} ({} items), config {}", server->port_,
               state->bundle->version(), state->bundle->num_items(), state->config->version);
  return server;
}

RecdServer::~RecdServer() { Shutdown(); }

void RecdServer::Wait() {
  if (server_) server_->Wait();
}

void RecdServer::Shutdown(absl::Duration grace) {
  if (shut_down_ || !server_) return;
  shut_down_ = true;
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  // Request tasks may still be queued: drain them before the handler goes,
  // then the writes they queued (the writer outlives its last submitter).
  request_pool_.reset();
  event_writer_.reset();
  refresher_.reset();
  scorer_pool_.reset();
}

}  // namespace recd
