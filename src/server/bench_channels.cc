#include "server/bench_channels.h"

#include <algorithm>

namespace recd {

std::vector<std::shared_ptr<grpc::Channel>> OpenBenchChannels(const std::string& target, int count,
                                                              const ClientTlsPems& tls) {
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!tls.ca.empty()) credentials = grpc::SslCredentials({tls.ca, tls.key, tls.cert});
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int c = 0; c < std::max(1, count); ++c) {
    grpc::ChannelArguments args;
    args.SetInt("recd.bench.channel", c);  // distinct arguments: a connection each
    channels.push_back(grpc::CreateCustomChannel(target, credentials, args));
  }
  return channels;
}

}  // namespace recd
