// recd-echo-server: a trivial gRPC service on the same stack as recd
// (callback API, same build flags), so recd-bench can show how much of recd's
// latency is the RPC itself.

#include <grpcpp/grpcpp.h>

#include <CLI/CLI.hpp>
#include <iostream>

#include "server/grpc_services.h"

int main(int argc, char** argv) {
  CLI::App app{"recd-echo-server: gRPC echo baseline for recd-bench"};
  std::string listen = "127.0.0.1:50052";
  app.add_option("--listen", listen, "HOST:PORT")->capture_default_str();
  CLI11_PARSE(app, argc, argv);
  recd::EchoService service;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  if (!server || port == 0) {
    std::cerr << "recd-echo-server: cannot listen on " << listen << "\n";
    return 1;
  }
  std::cout << "echo listening on port " << port << std::endl;
  server->Wait();
  return 0;
}
