#include "server/grpc_services.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// Finishes a call that arrived at `start` with `status`, counting it (and
// its latency) under `method` and its status code.
void FinishCall(grpc::ServerUnaryReactor* reactor, ServerMetrics* metrics, const char* method, absl::Time start,
                const absl::Status& status) {
  metrics->CountFinished(method, absl::StatusCodeToString(status.code()), absl::Now() - start);
  if (!status.ok()) {
    metrics->CountError(method, absl::StatusCodeToString(status.code()));
    spdlog::debug("{} failed: {}", method, std::string(status.message()));
  }
  reactor->Finish(ToGrpcStatus(status));
}

// Refuses a call before any work, telling the client's retry policy when to
// come back (gRPC's grpc-retry-pushback-ms). With `held`, the caller's
// connection is a hog (AdmissionController::CountRefusalIsHog): it is told
// to come back after the hold and answered then, so a flood of streams on
// one connection cannot make the server refuse faster than its stream limit
// per hold. Other refusals are answered at once.
grpc::ServerUnaryReactor* Refuse(grpc::CallbackServerContext* ctx, ServerMetrics* metrics, const char* method,
                                 absl::Time start, const AdmissionController& admission,
                                 AdmissionController::Lane lane, HeldRefusals* held) {
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const int64_t pushback = held != nullptr ? absl::ToInt64Milliseconds(held->hold()) : admission.RetryPushbackMs();
  ctx->AddTrailingMetadata("grpc-retry-pushback-ms", std::to_string(pushback));
  const bool read = lane == AdmissionController::Lane::kRead;
  absl::Status status = absl::ResourceExhaustedError(absl::StrCat(
      "recd is at capacity (", read ? admission.options().max_in_flight_reads : admission.options().max_in_flight_writes,
      read ? " reads" : " writes", " in flight, at most ", admission.ConnectionLimit(lane), " from one connection",
      held != nullptr ? ", and this connection is refused over and over" : "", "); retry after ", pushback, " ms"));
  if (held == nullptr) {
    FinishCall(reactor, metrics, method, start, status);
  } else {
    held->Hold([reactor, metrics, method, start, status = std::move(status)] {
      FinishCall(reactor, metrics, method, start, status);
    });
  }
  return reactor;
}

// Ends the call at once, before admission or any work, unless the token
// table of `states`' current state (null = no authentication) lets its
// caller call `method`. Returns the reactor of a refused call, null for one
// that may proceed.
grpc::ServerUnaryReactor* RefuseUnauthorized(grpc::CallbackServerContext* ctx, ServerMetrics* metrics,
                                             const char* method, const ServingStateManager* states) {
  if (states == nullptr) return nullptr;
  const std::shared_ptr<const ServingState> state = states->Current();
  const TokenAuthenticator* auth = state->auth.get();
  if (auth == nullptr) return nullptr;
  const absl::Time start = absl::Now();
  absl::string_view authorization;
  const auto& md = ctx->client_metadata();
  if (auto it = md.find("authorization"); it != md.end()) authorization = {it->second.data(), it->second.size()};
  absl::Status s = auth->Authorize(method, authorization);
  if (s.ok()) return nullptr;
  metrics->CountRequest(method);
  metrics->CountAuthFailure(s.code());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  FinishCall(reactor, metrics, method, start, s);
  return reactor;
}

// Runs `work(deadline, finish)` on `pool`; `finish` ends the call with its
// status, from whatever thread completes the work (the event writer's, for
// writes), so no pool thread need wait for the disk. Counts requests and
// errors under `method`. With `admission`, the call first takes a place in
// `lane` or is refused at once, and holds it until `finish`; a call that
// then queued longer than the admission bound, or whose caller left or ran
// out of time while it queued, ends without doing its work.
template <typename Work>
grpc::ServerUnaryReactor* DispatchAsync(grpc::CallbackServerContext* ctx, ThreadPool* pool, ServerMetrics* metrics,
                                        const char* method, AdmissionController* admission,
                                        AdmissionController::Lane lane, Work work, HeldRefusals* held = nullptr) {
  metrics->CountRequest(method);
  // Admission takes no time worth telling apart: one clock read serves as
  // the call's arrival and its admission.
  const absl::Time admitted = absl::Now();
  auto ticket = std::make_shared<std::optional<AdmissionController::Ticket>>();
  if (admission != nullptr) {
    const std::string peer = ctx->peer();
    std::optional<AdmissionController::Ticket> place = admission->TryAdmit(lane, peer);
    if (!place) {
      HeldRefusals* hold = admission->CountRefusalIsHog(peer, admitted) ? held : nullptr;
      return Refuse(ctx, metrics, method, admitted, *admission, lane, hold);
    }
    ticket->emplace(std::move(*place));
  }
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  auto finish = [reactor, metrics, method, ticket, admitted](absl::Status status) {
    ticket->reset();  // the place is free before the answer leaves
    FinishCall(reactor, metrics, method, admitted, status);
  };
  pool->Submit([ctx, metrics, admission, admitted, finish, work = std::move(work)]() mutable {
    const absl::Time now = absl::Now();
    if (ctx->IsCancelled()) {
      finish(absl::CancelledError("cancelled by the caller before it started"));
    } else if (absl::FromChrono(ctx->deadline()) < now) {
      finish(absl::DeadlineExceededError("deadline passed while queued"));
    } else if (admission != nullptr && admission->QueuedTooLong(admitted, now)) {
      metrics->CountQueueTimeout();
      ctx->AddTrailingMetadata("grpc-retry-pushback-ms", std::to_string(admission->RetryPushbackMs()));
      finish(absl::ResourceExhaustedError(
          absl::StrCat("recd is overloaded: queued ", absl::ToInt64Milliseconds(now - admitted), " ms > ",
                       absl::ToInt64Milliseconds(admission->options().max_queue_time), " ms")));
    } else {
      work(absl::FromChrono(ctx->deadline()), std::move(finish));
    }
  });
  return reactor;
}

// DispatchAsync for work that answers on the pool thread: `work(deadline)`
// returns the call's status.
template <typename Work>
grpc::ServerUnaryReactor* Dispatch(grpc::CallbackServerContext* ctx, ThreadPool* pool, ServerMetrics* metrics,
                                   const char* method, AdmissionController* admission,
                                   AdmissionController::Lane lane, Work work, HeldRefusals* held = nullptr) {
  return DispatchAsync(
      ctx, pool, metrics, method, admission, lane,
      [work = std::move(work)](absl::Time deadline, auto finish) mutable { finish(work(deadline)); }, held);
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
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "RecommendItems", auth_)) return refused;
  return Dispatch(
      ctx, pool_, metrics_, "RecommendItems", admission_, AdmissionController::Lane::kRead,
      [this, req, resp](absl::Time deadline) { return handler_->Recommend(*req, DeadlineOrInfinite(deadline), resp); },
      held_);
}

grpc::ServerUnaryReactor* RecommenderService::SimilarItems(grpc::CallbackServerContext* ctx,
                                                           const v1::SimilarItemsRequest* req,
                                                           v1::SimilarItemsResponse* resp) {
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "SimilarItems", auth_)) return refused;
  return Dispatch(
      ctx, pool_, metrics_, "SimilarItems", admission_, AdmissionController::Lane::kRead,
      [this, req, resp](absl::Time deadline) { return handler_->SimilarItems(*req, DeadlineOrInfinite(deadline), resp); },
      held_);
}

grpc::ServerUnaryReactor* RecommenderService::RankItems(grpc::CallbackServerContext* ctx,
                                                        const v1::RankItemsRequest* req, v1::RankItemsResponse* resp) {
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "RankItems", auth_)) return refused;
  return Dispatch(
      ctx, pool_, metrics_, "RankItems", admission_, AdmissionController::Lane::kRead,
      [this, req, resp](absl::Time deadline) { return handler_->RankItems(*req, DeadlineOrInfinite(deadline), resp); },
      held_);
}

grpc::ServerUnaryReactor* RecommenderService::CompleteCart(grpc::CallbackServerContext* ctx,
                                                           const v1::CompleteCartRequest* req,
                                                           v1::CompleteCartResponse* resp) {
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "CompleteCart", auth_)) return refused;
  return Dispatch(
      ctx, pool_, metrics_, "CompleteCart", admission_, AdmissionController::Lane::kRead,
      [this, req, resp](absl::Time deadline) { return handler_->CompleteCart(*req, DeadlineOrInfinite(deadline), resp); },
      held_);
}

grpc::ServerUnaryReactor* RecommenderService::RecordEvents(grpc::CallbackServerContext* ctx,
                                                           const v1::RecordEventsRequest* req,
                                                           v1::RecordEventsResponse* resp) {
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "RecordEvents", auth_)) return refused;
  return DispatchAsync(ctx, pool_, metrics_, "RecordEvents", admission_, AdmissionController::Lane::kWrite,
                       [this, req, resp](absl::Time deadline, EventWriter::Done finish) {
                         handler_->RecordEvents(*req, DeadlineOrInfinite(deadline), resp, std::move(finish));
                       },
                       held_);
}

grpc::ServerUnaryReactor* RecommenderService::UpdateStock(grpc::CallbackServerContext* ctx,
                                                          const v1::UpdateStockRequest* req,
                                                          v1::UpdateStockResponse* resp) {
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "UpdateStock", auth_)) return refused;
  return Dispatch(
      ctx, pool_, metrics_, "UpdateStock", admission_, AdmissionController::Lane::kWrite,
      [this, req, resp](absl::Time) { return handler_->UpdateStock(*req, resp); }, held_);
}

grpc::ServerUnaryReactor* AdminService::ReloadConfig(grpc::CallbackServerContext* ctx,
                                                     const v1::ReloadConfigRequest*,
                                                     v1::ReloadConfigResponse* resp) {
  // The reload runs on the state manager's own thread (bundle loads take
  // seconds); concurrent calls share one reload. No thread waits for it:
  // the reactor finishes from the completion.
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "ReloadConfig", check_tokens_ ? states_ : nullptr)) return refused;
  metrics_->CountRequest("ReloadConfig");
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  states_->ReloadAsync([this, reactor, resp, start = absl::Now()](absl::Status s) {
    auto current = states_->Current();
    resp->set_config_version(current->config->version);
    resp->set_bundle_version(current->bundle->version());
    if (s.ok()) {
      resp->set_message("reloaded");
    } else {
      // The caller learns why, and that the running config stays.
      s = absl::Status(s.code(), absl::StrCat(s.message(), " (kept config ", current->config->version, ")"));
    }
    FinishCall(reactor, metrics_, "ReloadConfig", start, s);
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetStatus(grpc::CallbackServerContext* ctx, const v1::GetStatusRequest*,
                                                  v1::GetStatusResponse* resp) {
  // On the admin pool and never refused: operators must see an overloaded
  // daemon's status.
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "GetStatus", check_tokens_ ? states_ : nullptr)) return refused;
  return Dispatch(ctx, pool_, metrics_, "GetStatus", nullptr, AdmissionController::Lane::kRead,
                  [this, resp](absl::Time) {
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
    metrics_->ForEachArm([resp](std::string_view arm, const LatencyHistogram& h) {
      (*resp->mutable_experiment_arms())[std::string(arm)] = h.count();
    });
    resp->set_bundle_version_number(state->bundle_version);
    if (handler_ != nullptr) {
      handler_->FillQuarantineStatus(resp->mutable_quarantine());
      handler_->FillShadowStatus(resp->mutable_shadow());
    }
    return absl::OkStatus();
  });
}

namespace {

// An admin call the request handler serves (`work(handler)` gives its
// status): authorized by the admin role when `auth` is set, then run on the
// admin pool and never shed, so overload cannot lose it. A daemon without a
// handler answers UNIMPLEMENTED.
template <typename Work>
grpc::ServerUnaryReactor* DispatchToHandler(grpc::CallbackServerContext* ctx, ThreadPool* pool, ServerMetrics* metrics,
                                            const ServingStateManager* auth, const RequestHandler* handler,
                                            const char* method, AdmissionController::Lane lane, Work work) {
  if (auto* refused = RefuseUnauthorized(ctx, metrics, method, auth)) return refused;
  return Dispatch(ctx, pool, metrics, method, nullptr, lane, [handler, method, work = std::move(work)](absl::Time) {
    if (handler == nullptr) return absl::UnimplementedError(absl::StrCat(method, " is not served by this daemon"));
    return work(*handler);
  });
}

}  // namespace

grpc::ServerUnaryReactor* AdminService::ForgetUser(grpc::CallbackServerContext* ctx, const v1::ForgetUserRequest* req,
                                                   v1::ForgetUserResponse* resp) {
  // The store's write is synced before the answer.
  return DispatchToHandler(ctx, pool_, metrics_, check_tokens_ ? states_ : nullptr, handler_, "ForgetUser",
                           AdmissionController::Lane::kWrite,
                           [req, resp](const RequestHandler& h) { return h.ForgetUser(*req, resp); });
}

grpc::ServerUnaryReactor* AdminService::AddItems(grpc::CallbackServerContext* ctx, const v1::AddItemsRequest* req,
                                                 v1::AddItemsResponse* resp) {
  // The rows are written (synced) on the admin pool; then the items are
  // served by a reload on the state manager's thread, which the reactor
  // waits for without holding a thread.
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, "AddItems", check_tokens_ ? states_ : nullptr)) return refused;
  metrics_->CountRequest("AddItems");
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  const absl::Time start = absl::Now();
  if (handler_ == nullptr) {
    FinishCall(reactor, metrics_, "AddItems", start, absl::UnimplementedError("AddItems is not served by this daemon"));
    return reactor;
  }
  pool_->Submit([this, reactor, req, resp, start] {
    if (absl::Status s = handler_->AddItems(*req, resp); !s.ok()) {
      FinishCall(reactor, metrics_, "AddItems", start, s);
      return;
    }
    states_->ReloadAsync([this, reactor, resp, start](absl::Status s) {
      const auto current = states_->Current();
      resp->set_served_new_items(current->bundle->num_items() - current->bundle->trained_items());
      resp->set_max_new_items(current->config->max_new_items);
      if (!s.ok()) {
        s = absl::Status(s.code(), absl::StrCat("items stored; serving them waits for a reload, which failed: ",
                                                s.message()));
      }
      FinishCall(reactor, metrics_, "AddItems", start, s);
    });
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ReleaseQuarantine(grpc::CallbackServerContext* ctx,
                                                          const v1::ReleaseQuarantineRequest* req,
                                                          v1::ReleaseQuarantineResponse* resp) {
  return DispatchToHandler(ctx, pool_, metrics_, check_tokens_ ? states_ : nullptr, handler_, "ReleaseQuarantine",
                           AdmissionController::Lane::kWrite,
                           [req, resp](const RequestHandler& h) { return h.ReleaseQuarantine(*req, resp); });
}

grpc::ServerUnaryReactor* AdminService::ListQuarantine(grpc::CallbackServerContext* ctx,
                                                       const v1::ListQuarantineRequest* req,
                                                       v1::ListQuarantineResponse* resp) {
  return DispatchToHandler(ctx, pool_, metrics_, check_tokens_ ? states_ : nullptr, handler_, "ListQuarantine",
                           AdmissionController::Lane::kRead,
                           [req, resp](const RequestHandler& h) { return h.ListQuarantine(*req, resp); });
}

grpc::ServerUnaryReactor* AdminService::DecideShadow(grpc::CallbackServerContext* ctx, const char* method,
                                                     const v1::ShadowDecisionRequest* req,
                                                     v1::ShadowDecisionResponse* resp, bool promote) {
  // As ReloadConfig: the decision is a reload on the state manager's thread.
  if (auto* refused = RefuseUnauthorized(ctx, metrics_, method, check_tokens_ ? states_ : nullptr)) return refused;
  metrics_->CountRequest(method);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  states_->DecideShadowAsync(req->name(), promote, [this, reactor, resp, method, start = absl::Now()](absl::Status s) {
    auto current = states_->Current();
    resp->set_config_version(current->config->version);
    resp->set_bundle_version(current->bundle->version());
    resp->set_bundle_version_number(current->bundle_version);
    FinishCall(reactor, metrics_, method, start, s);
  });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::PromoteShadow(grpc::CallbackServerContext* ctx,
                                                      const v1::ShadowDecisionRequest* req,
                                                      v1::ShadowDecisionResponse* resp) {
  return DecideShadow(ctx, "PromoteShadow", req, resp, /*promote=*/true);
}

grpc::ServerUnaryReactor* AdminService::DropShadow(grpc::CallbackServerContext* ctx,
                                                   const v1::ShadowDecisionRequest* req,
                                                   v1::ShadowDecisionResponse* resp) {
  return DecideShadow(ctx, "DropShadow", req, resp, /*promote=*/false);
}

namespace {

grpc::ServerUnaryReactor* RefuseElsewhere(grpc::CallbackServerContext* ctx, ServerMetrics* metrics,
                                          const char* method) {
  // Neither the admin address nor whether tokens would pass is told: the
  // caller reached the public port, which is all it needs to know.
  metrics->CountRequest(method);
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  FinishCall(reactor, metrics, method, absl::Now(),
             absl::UnimplementedError(absl::StrCat(
                 "recd.v1.Admin/", method, " is not served on this port; it is on the admin listener (admin.listen)")));
  return reactor;
}

}  // namespace

grpc::ServerUnaryReactor* AdminElsewhereService::ReloadConfig(grpc::CallbackServerContext* ctx,
                                                              const v1::ReloadConfigRequest*,
                                                              v1::ReloadConfigResponse*) {
  return RefuseElsewhere(ctx, metrics_, "ReloadConfig");
}

grpc::ServerUnaryReactor* AdminElsewhereService::GetStatus(grpc::CallbackServerContext* ctx,
                                                           const v1::GetStatusRequest*, v1::GetStatusResponse*) {
  return RefuseElsewhere(ctx, metrics_, "GetStatus");
}

grpc::ServerUnaryReactor* AdminElsewhereService::AddItems(grpc::CallbackServerContext* ctx,
                                                          const v1::AddItemsRequest*, v1::AddItemsResponse*) {
  return RefuseElsewhere(ctx, metrics_, "AddItems");
}

grpc::ServerUnaryReactor* AdminElsewhereService::ForgetUser(grpc::CallbackServerContext* ctx,
                                                            const v1::ForgetUserRequest*, v1::ForgetUserResponse*) {
  return RefuseElsewhere(ctx, metrics_, "ForgetUser");
}

grpc::ServerUnaryReactor* AdminElsewhereService::ReleaseQuarantine(grpc::CallbackServerContext* ctx,
                                                                   const v1::ReleaseQuarantineRequest*,
                                                                   v1::ReleaseQuarantineResponse*) {
  return RefuseElsewhere(ctx, metrics_, "ReleaseQuarantine");
}

grpc::ServerUnaryReactor* AdminElsewhereService::ListQuarantine(grpc::CallbackServerContext* ctx,
                                                                const v1::ListQuarantineRequest*,
                                                                v1::ListQuarantineResponse*) {
  return RefuseElsewhere(ctx, metrics_, "ListQuarantine");
}

grpc::ServerUnaryReactor* AdminElsewhereService::PromoteShadow(grpc::CallbackServerContext* ctx,
                                                               const v1::ShadowDecisionRequest*,
                                                               v1::ShadowDecisionResponse*) {
  return RefuseElsewhere(ctx, metrics_, "PromoteShadow");
}

grpc::ServerUnaryReactor* AdminElsewhereService::DropShadow(grpc::CallbackServerContext* ctx,
                                                            const v1::ShadowDecisionRequest*,
                                                            v1::ShadowDecisionResponse*) {
  return RefuseElsewhere(ctx, metrics_, "DropShadow");
}

grpc::ServerUnaryReactor* EchoService::Echo(grpc::CallbackServerContext* ctx, const v1::EchoMessage* req,
                                            v1::EchoMessage* resp) {
  resp->set_payload(req->payload());
  grpc::ServerUnaryReactor* reactor = ctx->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace recd
