// recd: the recommendation serving daemon.
//
//   recd --config config/recd.yaml [--listen HOST:PORT]
//   recd --config FILE --check-config     validate the file and exit (0 = valid)
//
// SIGHUP reloads the config and models; SIGINT/SIGTERM shut down gracefully.

#include <csignal>
#include <iostream>
#include <thread>

#include <CLI/CLI.hpp>

#include "absl/synchronization/notification.h"
#include "server/recd_server.h"
#include "server/server_config.h"
#include "util/huge_page_malloc.h"
#include "spdlog/spdlog.h"

namespace {

volatile std::sig_atomic_t g_signal = 0;
void OnSignal(int sig) { g_signal = sig; }

}  // namespace

int main(int argc, char** argv) {
  recd::ReexecWithHugePageMalloc(argv);
  CLI::App app{"recd: real-time recommendation serving daemon"};
  recd::RecdServer::Options options;
  options.config_path = "config/recd.yaml";
  app.add_option("--config", options.config_path, "config file")->capture_default_str();
  app.add_option("--listen", options.listen_override, "HOST:PORT, overrides server.listen");
  bool check_config = false;
  app.add_flag("--check-config", check_config,
               "parse and validate the config, print the reason if it is invalid, and exit "
               "(the files it names are not opened)");
  CLI11_PARSE(app, argc, argv);
  if (check_config) {
    auto config = recd::ServerConfig::LoadFile(options.config_path);
    if (!config.ok()) {
      std::cerr << "recd: " << config.status().message() << "\n";
      return 1;
    }
    std::cout << options.config_path << ": valid\n";
    return 0;
  }

  // Installed before Start, which can take seconds (store open, first-start
  // seeding, bundle and index loads): SIGTERM's default action there would
  // kill recd mid-write. A signal that arrives during start is only flagged,
  // and acted on by the loop below once Start returns.
  std::signal(SIGHUP, OnSignal);
  std::signal(SIGINT, OnSignal);
  std::signal(SIGTERM, OnSignal);
  auto server = recd::RecdServer::Start(options);
  if (!server.ok()) {
    std::cerr << "recd: " << server.status().message() << "\n";
    return 1;
  }
  // Signals are only flagged by the handler; this loop acts on them outside
  // signal context.
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const int sig = g_signal;
    if (sig == 0) continue;
    g_signal = 0;
    if (sig == SIGHUP) {
      spdlog::info("SIGHUP: reloading");
      (*server)->states().RequestReload();
      continue;
    }
    spdlog::info("signal {}: shutting down", sig);  // also one that came during start
    (*server)->Shutdown();
    break;
  }
  return 0;
}
