#ifndef RECD_SERVER_BENCH_CHANNELS_H_
#define RECD_SERVER_BENCH_CHANNELS_H_

#include <memory>
#include <string>
#include <vector>

#include <grpcpp/grpcpp.h>

namespace recd {

// PEMs of a secured recd (README, Security) as recd-bench's clients take
// them: TLS when `ca` (the CA's certificate) is set, with a client
// certificate and key for mutual TLS.
struct ClientTlsPems {
  std::string ca, cert, key;
};

// `count` (at least 1) channels to `target`, each on a connection of its
// own: gRPC shares one connection between channels of equal arguments, and
// a load client must spread its calls over several.
std::vector<std::shared_ptr<grpc::Channel>> OpenBenchChannels(const std::string& target, int count,
                                                              const ClientTlsPems& tls);

}  // namespace recd

#endif  // RECD_SERVER_BENCH_CHANNELS_H_
