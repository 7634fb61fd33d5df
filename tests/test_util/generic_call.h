#ifndef RECD_TESTS_TEST_UTIL_GENERIC_CALL_H_
#define RECD_TESTS_TEST_UTIL_GENERIC_CALL_H_

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <future>
#include <memory>
#include <string>

namespace recd::testing_util {

inline constexpr char kHealthCheckMethod[] = "/grpc.health.v1.Health/Check";

// Calls `method` with the serialized request `bytes`, sent as one message
// (so a bidi-streaming method answers once and ends), without a token.
inline grpc::Status GenericCall(const std::shared_ptr<grpc::Channel>& channel, const std::string& method,
                                const std::string& bytes) {
  grpc::GenericStub stub(channel);
  grpc::Slice slice(bytes);
  grpc::ByteBuffer request(&slice, 1), response;
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::promise<grpc::Status> done;
  stub.UnaryCall(&ctx, method, grpc::StubOptions(), &request, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get();
}

}  // namespace recd::testing_util

#endif  // RECD_TESTS_TEST_UTIL_GENERIC_CALL_H_
