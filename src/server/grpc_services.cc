#include "server/grpc_services.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// Runs `work` on `pool` and finishes the call with its status, counting
// requests and errors under `method`.
template <typename Work>
grpc::ServerUnaryReactor* Dispatch(grpc::CallbackServerContext* ctx, ThreadPool* pool, ServerMetrics* metrics,
                                   const char* method, Work work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  metrics->CountRequest(method);
  pool->Submit([ctx, reactor, metrics, method, work = std::move(work)]() mutable {
    absl::Status status;
    if (ctx->IsCancelled()) {
      status = absl::CancelledError("cancelled by the caller before it started");
    } else if (absl::FromChrono(ctx->deadline()) < absl::Now()) {
      status = absl::DeadlineExceededError("deadline passed while queued");
    } else {
      status = work(absl::FromChrono(ctx->deadline()));
    }
    if (!status.ok()) {
      metrics->CountError(method, absl::StatusCodeToString(status.code()));
      spdlog::debug("{} failed: {}", method, std::string(status.message()));
    }
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

// Dispatch for work that completes later, off the pool: `work(deadline,
// finish)` runs on `pool` and hands `finish` on (e.g. to the event writer),
// which finishes the call with its status from whatever thread completes it,
// so no pool thread waits for the disk.
template <typename Work>
grpc::ServerUnaryReactor* DispatchAsync(grpc::CallbackServerContext* ctx, ThreadPool* pool,
                                        ServerMetrics* metrics, const char* method, Work work) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  metrics->CountRequest(method);
  auto finish = [reactor, metrics, method](absl::Status status) {
    if (!status.ok()) {
      metrics->CountError(method, absl::StatusCodeToString(status.code()));
      spdlog::debug("{} failed: {}", method, std::string(status.message()));
    }
    reactor->Finish(ToGrpcStatus(status));
  };
  pool->Submit([ctx, finish, work = std::move(work)]() mutable {
    if (ctx->IsCancelled()) {
      finish(absl::CancelledError("cancelled by the caller before it started"));
    } else if (absl::FromChrono(ctx->deadline()) < absl::Now()) {
      finish(absl::DeadlineExceededError("deadline passed while queued"));
    } else {
      work(absl::FromChrono(ctx->deadline()), std::move(finish));
    }
  });
  return reactor;
}

absl::Time DeadlineOrInfinite(absl::Time t) {
  // gRPC reports "no deadline" as the far future of system_clock.
  return t > absl::Now() + absl::Hours(24 * 365) ? absl::InfiniteFuture() : t;
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& s) {
  if (s.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(s.code()), std::string(s.message()));
}

grpc::ServerUnaryReactor* RecommenderService::RecommendItems(grpc::CallbackServerContext* ctx,
                                                             const v1::RecommendRequest* req,
                                                             v1::RecommendResponse* resp) {
  return Dispatch(ctx, pool_, metrics_, "RecommendItems", [this, req, resp](absl::Time deadline) {
    return handler_->Recommend(*req, DeadlineOrInfinite(deadline), resp);
  });
}

grpc::ServerUnaryReactor* RecommenderService::SimilarItems(grpc::CallbackServerContext* ctx,
                                                           const v1::SimilarItemsRequest* req,
                                                           v1::SimilarItemsResponse* resp) {
  return Dispatch(ctx, pool_, metrics_, "SimilarItems", [this, req, resp](absl::Time deadline) {
    return handler_->SimilarItems(*req, DeadlineOrInfinite(deadline), resp);
  });
}

grpc::ServerUnaryReactor* RecommenderService::RecordEvents(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordEventsRequest* req,
                                                           v1::RecordEventsResponse* resp) {
  return DispatchAsync(ctx, pool_, metrics_, "RecordEvents",
                       [this, req, resp](absl::Time deadline, EventWriter::Done finish) {
                         handler_->RecordEvents(*req, DeadlineOrInfinite(deadline), resp, std::move(finish));
                       });
}

grpc::ServerUnaryReactor* AdminService::ReloadConfig(grpc::CallbackServerContext* ctx,
                                                     const v1::ReloadConfigRequest*,
                                                     v1::ReloadConfigResponse* resp) {
  return Dispatch(ctx, pool_, metrics_, "ReloadConfig", [this, resp](absl::Time) {
    absl::Status s = states_->Reload();
    auto current = states_->Current();
    resp->set_config_version(current->config->version);
    resp->set_bundle_version(current->bundle->version());
    if (!s.ok()) {
      // The caller learns why, and that the running config stays.
      return absl::Status(s.code(), absl::StrCat(s.message(), " (kept config ", current->config->version, ")"));
    }
    resp->set_message("reloaded");
    return s;
  });
}

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* ctx, const v1::GetStatusRequest*,
                                                  v1::GetStatusResponse* resp) {
  return Dispatch(ctx, pool_, metrics_, "GetStatus", [this, resp](absl::Time) {
    auto state = states_->Current();
    resp->set_server_version(RECD_VERSION);
    resp->set_uptime_seconds(absl::ToInt64Seconds(absl::Now() - started_));
    resp->set_config_version(state->config->version);
    resp->set_bundle_version(state->bundle->version());
    const auto& weights = state->pipeline->fusion().weights;
    for (const auto& scorer : state->bundle->scorers()) {
      const std::string name(scorer->name());
      v1::ModelStatus* m = resp->add_models();
      m->set_name(name);
      m->set_version(state->bundle->version());
      m->set_num_items(scorer->num_items());
      auto w = weights.find(name);
      m->set_weight(w == weights.end() ? 0.0 : w->second);
      ModelMetrics& mm = metrics_->Model(name);
      m->set_calls(mm.calls.load());
      m->set_failures(mm.failures.load());
      m->set_timeouts(mm.timeouts.load());
      m->set_latency_p50_ms(mm.latency.QuantileMs(0.5));
      m->set_latency_p99_ms(mm.latency.QuantileMs(0.99));
    }
    for (const auto& [k, v] : metrics_->Requests()) (*resp->mutable_requests())[k] = v;
    for (const auto& [k, v] : metrics_->Errors()) (*resp->mutable_errors())[k] = v;
    for (const auto& [k, v] : metrics_->Counters()) (*resp->mutable_counters())[k] = v;
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* EchoService::Echo(grpc::CallbackServerContext* ctx, const v1::EchoMessage* req,
                                            v1::EchoMessage* resp) {
  resp->set_payload(req->payload());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace recd
