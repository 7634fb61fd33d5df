#ifndef RECD_SERVER_GRPC_SERVICES_H_
#define RECD_SERVER_GRPC_SERVICES_H_

#include <grpcpp/grpcpp.h>

#include "absl/time/time.h"
#include "recd/v1/echo.grpc.pb.h"
#include "recd/v1/recommender.grpc.pb.h"
#include "server/admission_controller.h"
#include "server/held_refusals.h"
#include "server/request_handler.h"
#include "server/server_metrics.h"
#include "server/serving_state.h"
#include "server/token_authenticator.h"
#include "util/thread_pool.h"

namespace recd {

grpc::Status ToGrpcStatus(const absl::Status& s);

// The Recommender service on gRPC's callback API. Each call is handed to
// `request_pool` at once: a reactor never blocks gRPC's own threads.
// Thread-safe.
class RecommenderService final : public v1::Recommender::CallbackService {
 public:
  // `admission` decides which calls are served; null admits every call.
  // `auth`, when given, decides who may call what (before admission) by the
  // token table of its current state (ServingState::auth, re-read on every
  // reload); null lets anyone.
  // `held`, when given, answers the refusals of a connection past its share
  // after its hold (HeldRefusals); else every refusal is answered at once.
  RecommenderService(const RequestHandler* handler, ThreadPool* request_pool, ServerMetrics* metrics,
                     AdmissionController* admission, const ServingStateManager* auth = nullptr,
                     HeldRefusals* held = nullptr)
      : handler_(handler), pool_(request_pool), metrics_(metrics), admission_(admission), auth_(auth), held_(held) {}

  grpc::ServerUnaryReactor* RecommendItems(grpc::CallbackServerContext* ctx, const v1::RecommendRequest* req,
                                           v1::RecommendResponse* resp) override;
  grpc::ServerUnaryReactor* SimilarItems(grpc::CallbackServerContext* ctx, const v1::SimilarItemsRequest* req,
                                         v1::SimilarItemsResponse* resp) override;
  grpc::ServerUnaryReactor* RankItems(grpc::CallbackServerContext* ctx, const v1::RankItemsRequest* req,
                                      v1::RankItemsResponse* resp) override;
  grpc::ServerUnaryReactor* CompleteCart(grpc::CallbackServerContext* ctx, const v1::CompleteCartRequest* req,
                                         v1::CompleteCartResponse* resp) override;
  grpc::ServerUnaryReactor* RecordEvents(grpc::CallbackServerContext* ctx, const v1::RecordEventsRequest* req,
                                         v1::RecordEventsResponse* resp) override;
  grpc::ServerUnaryReactor* UpdateStock(grpc::CallbackServerContext* ctx, const v1::UpdateStockRequest* req,
                                        v1::UpdateStockResponse* resp) override;

 private:
  const RequestHandler* handler_;
  ThreadPool* pool_;
  ServerMetrics* metrics_;
  AdmissionController* admission_;
  const ServingStateManager* auth_;
  HeldRefusals* held_;
};

// Reload and status for operators, on a pool of their own and never shed,
// so an overloaded daemon can still be inspected and reconfigured.
// Thread-safe.
class AdminService final : public v1::Admin::CallbackService {
 public:
  // With `check_tokens`, calls need a token of the admin role from the
  // current state's table, as for RecommenderService. `handler` serves
  // ForgetUser, AddItems and the quarantine calls (null: UNIMPLEMENTED, and GetStatus
  // reports no quarantine).
  AdminService(ServingStateManager* states, ThreadPool* admin_pool, ServerMetrics* metrics, absl::Time started,
               bool check_tokens = false, const RequestHandler* handler = nullptr)
      : states_(states), pool_(admin_pool), metrics_(metrics), started_(started), check_tokens_(check_tokens),
        handler_(handler) {}

  grpc::ServerUnaryReactor* ReloadConfig(grpc::CallbackServerContext* ctx, const v1::ReloadConfigRequest* req,
                                         v1::ReloadConfigResponse* resp) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx, const v1::GetStatusRequest* req,
                                      v1::GetStatusResponse* resp) override;
  grpc::ServerUnaryReactor* ForgetUser(grpc::CallbackServerContext* ctx, const v1::ForgetUserRequest* req,
                                       v1::ForgetUserResponse* resp) override;
  grpc::ServerUnaryReactor* AddItems(grpc::CallbackServerContext* ctx, const v1::AddItemsRequest* req,
                                     v1::AddItemsResponse* resp) override;
  grpc::ServerUnaryReactor* ReleaseQuarantine(grpc::CallbackServerContext* ctx, const v1::ReleaseQuarantineRequest* req,
                                              v1::ReleaseQuarantineResponse* resp) override;
  grpc::ServerUnaryReactor* ListQuarantine(grpc::CallbackServerContext* ctx, const v1::ListQuarantineRequest* req,
                                           v1::ListQuarantineResponse* resp) override;
  grpc::ServerUnaryReactor* PromoteShadow(grpc::CallbackServerContext* ctx, const v1::ShadowDecisionRequest* req,
                                          v1::ShadowDecisionResponse* resp) override;
  grpc::ServerUnaryReactor* DropShadow(grpc::CallbackServerContext* ctx, const v1::ShadowDecisionRequest* req,
                                       v1::ShadowDecisionResponse* resp) override;

 private:
  grpc::ServerUnaryReactor* DecideShadow(grpc::CallbackServerContext* ctx, const char* method,
                                         const v1::ShadowDecisionRequest* req, v1::ShadowDecisionResponse* resp,
                                         bool promote);

  ServingStateManager* states_;
  ThreadPool* pool_;
  ServerMetrics* metrics_;
  absl::Time started_;
  bool check_tokens_;
  const RequestHandler* handler_;
};

// Takes AdminService's place on the serving port when admin.listen puts it
// on a listener of its own: every call ends at once with UNIMPLEMENTED (the
// method is not served on this port, as for any unknown method) and a
// message saying where it lives, rather than gRPC's empty one. Thread-safe.
class AdminElsewhereService final : public v1::Admin::CallbackService {
 public:
  explicit AdminElsewhereService(ServerMetrics* metrics) : metrics_(metrics) {}

  grpc::ServerUnaryReactor* ReloadConfig(grpc::CallbackServerContext* ctx, const v1::ReloadConfigRequest* req,
                                         v1::ReloadConfigResponse* resp) override;
  grpc::ServerUnaryReactor* GetStatus(grpc::CallbackServerContext* ctx, const v1::GetStatusRequest* req,
                                      v1::GetStatusResponse* resp) override;
  grpc::ServerUnaryReactor* ForgetUser(grpc::CallbackServerContext* ctx, const v1::ForgetUserRequest* req,
                                       v1::ForgetUserResponse* resp) override;
  grpc::ServerUnaryReactor* AddItems(grpc::CallbackServerContext* ctx, const v1::AddItemsRequest* req,
                                     v1::AddItemsResponse* resp) override;
  grpc::ServerUnaryReactor* ReleaseQuarantine(grpc::CallbackServerContext* ctx, const v1::ReleaseQuarantineRequest* req,
                                              v1::ReleaseQuarantineResponse* resp) override;
  grpc::ServerUnaryReactor* ListQuarantine(grpc::CallbackServerContext* ctx, const v1::ListQuarantineRequest* req,
                                           v1::ListQuarantineResponse* resp) override;
  grpc::ServerUnaryReactor* PromoteShadow(grpc::CallbackServerContext* ctx, const v1::ShadowDecisionRequest* req,
                                          v1::ShadowDecisionResponse* resp) override;
  grpc::ServerUnaryReactor* DropShadow(grpc::CallbackServerContext* ctx, const v1::ShadowDecisionRequest* req,
                                       v1::ShadowDecisionResponse* resp) override;

 private:
  ServerMetrics* metrics_;
};

// Answers with its input: the baseline recd-bench compares recd against.
class EchoService final : public v1::Echo::CallbackService {
 public:
  grpc::ServerUnaryReactor* Echo(grpc::CallbackServerContext* ctx, const v1::EchoMessage* req,
                                 v1::EchoMessage* resp) override;
};

}  // namespace recd

#endif  // RECD_SERVER_GRPC_SERVICES_H_
