// recd-bench: load client for recd (and the Echo baseline).
//
//   recd-bench --target 127.0.0.1:50051 --concurrency 32 --duration 10
//   recd-bench --target 127.0.0.1:50051 --open-loop --qps 2000 --json
//   recd-bench --target 127.0.0.1:50052 --service echo --concurrency 64

#include <CLI/CLI.hpp>
#include <fstream>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "server/load_generator.h"

namespace {

absl::StatusOr<std::vector<std::string>> ReadLines(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat(path, ": cannot open"));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no ids"));
  return lines;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recd-bench: closed- or open-loop load for recd over gRPC"};
  recd::LoadGeneratorOptions o;
  double duration_s = 10, warmup_s = 2, timeout_ms = 1000;
  std::string users_file, items_file;
  int demo_users = 3000;
  bool json = false;
  app.add_option("--target", o.target, "server HOST:PORT")->capture_default_str();
  app.add_option("--service", o.service, "recd | echo")->capture_default_str();
  app.add_flag("--open-loop", o.open_loop, "fixed arrival rate (--qps) instead of fixed concurrency");
  app.add_option("--concurrency", o.concurrency, "calls in flight (closed loop)")->capture_default_str();
  app.add_option("--qps", o.qps, "arrival rate (open loop)")->capture_default_str();
  app.add_option("--duration", duration_s, "measured seconds")->capture_default_str();
  app.add_option("--warmup", warmup_s, "seconds sent before measuring")->capture_default_str();
  app.add_option("--timeout-ms", timeout_ms, "per-call deadline")->capture_default_str();
  app.add_option("--users-file", users_file, "user ids, one per line");
  app.add_option("--demo-users", demo_users, "else users u0..uN-1 of the demo population")->capture_default_str();
  app.add_option("--items-file", items_file, "item ids for RecordEvents (e.g. models/demo/items.txt)");
  app.add_option("--event-fraction", o.event_fraction, "share of calls that are RecordEvents")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("-k", o.k, "items per RecommendItems")->capture_default_str();
  app.add_option("--channels", o.channels, "client connections")->capture_default_str();
  app.add_flag("--json", json, "print the result as JSON");
  CLI11_PARSE(app, argc, argv);

  o.duration = absl::Seconds(duration_s);
  o.warmup = absl::Seconds(warmup_s);
  o.call_timeout = absl::Milliseconds(timeout_ms);
  if (!users_file.empty()) {
    auto users = ReadLines(users_file);
    if (!users.ok()) {
      std::cerr << "recd-bench: " << users.status().message() << "\n";
      return 2;
    }
    o.users = *std::move(users);
  } else {
    for (int u = 0; u < demo_users; ++u) o.users.push_back(absl::StrCat("u", u));
  }
  if (!items_file.empty()) {
    auto items = ReadLines(items_file);
    if (!items.ok()) {
      std::cerr << "recd-bench: " << items.status().message() << "\n";
      return 2;
    }
    o.items = *std::move(items);
  } else if (o.event_fraction > 0) {
    std::cerr << "recd-bench: --event-fraction needs --items-file\n";
    return 2;
  }
  auto result = recd::RunLoad(o);
  if (!result.ok()) {
    std::cerr << "recd-bench: " << result.status().message() << "\n";
    return 2;
  }
  if (json) {
    nlohmann::json j = result->ToJson();
    j["target"] = o.target;
    j["service"] = o.service;
    j["mode"] = o.open_loop ? "open" : "closed";
    j["concurrency"] = o.concurrency;
    if (o.open_loop) j["offered_qps"] = o.qps;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << (o.open_loop ? absl::StrCat("open loop at ", o.qps, " QPS")
                              : absl::StrCat("closed loop, ", o.concurrency, " in flight"))
              << " against " << o.service << " at " << o.target << "\n"
              << result->ToText() << "\n";
  }
  return 0;
}
