// recd-bench: load client for recd (and the Echo baseline).
//
//   recd-bench --target 127.0.0.1:50051 --concurrency 32 --duration 10
//   recd-bench --target 127.0.0.1:50051 --open-loop --qps 2000 --json
//   recd-bench --target 127.0.0.1:50052 --service echo --concurrency 64
//   recd-bench --demo-users 50000 --users-zipf 1.1 --session-items 3 --recd-config /tmp/recd-100k/recd.yaml
//   recd-bench --replay heldout.csv --qps 200 -k 10      (ranking quality per experiment arm)

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <utility>

#include "absl/strings/str_cat.h"
#include "recd/bundle_versions.h"
#include "server/load_generator.h"
#include "server/replay_runner.h"
#include "server/server_config.h"

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

// The items.txt of the bundle a recd config serves: its models.path's
// newest version (or models.path itself when it holds a bundle directly).
absl::StatusOr<std::string> ItemsFileOfConfig(const std::string& config_path) {
  auto config = recd::ServerConfig::LoadFile(config_path);
  if (!config.ok()) return config.status();
  if (recd::HoldsBundleDirectly(config->models_path)) return config->models_path + "/items.txt";
  auto versions = recd::ListBundleVersions(config->models_path);
  if (!versions.ok()) return versions.status();
  if (versions->empty()) {
    return absl::NotFoundError(absl::StrCat(config->models_path, ": no bundle versions (from ", config_path, ")"));
  }
  return versions->back().dir + "/items.txt";
}

// recd-bench --replay: asks, scores and records each event of `log_path`.
int Replay(const std::string& log_path, const recd::LoadGeneratorOptions& load, int workers, bool record,
           bool json, const std::string& outcomes_path) {
  recd::ReplayOptions o;
  o.target = load.target;
  o.qps = load.qps;
  o.k = load.k;
  o.call_timeout = load.call_timeout;
  o.workers = workers;
  o.channels = load.channels;
  o.record_events = record;
  o.tls_ca_pem = load.tls_ca_pem;
  o.tls_cert_pem = load.tls_cert_pem;
  o.tls_key_pem = load.tls_key_pem;
  o.token = load.token;
  if (absl::Status s = recd::ValidateReplayOptions(o); !s.ok()) {
    std::cerr << "recd-bench: " << s.message() << "\n";
    return 2;
  }
  auto events = recd::ReadReplayLog(log_path);
  if (!events.ok()) {
    std::cerr << "recd-bench: --replay: " << events.status().message() << "\n";
    return 2;
  }
  auto result = recd::RunReplay(*events, o);
  if (!result.ok()) {
    std::cerr << "recd-bench: " << result.status().message() << "\n";
    return 2;
  }
  if (!outcomes_path.empty()) {
    if (auto s = recd::WriteReplayOutcomes(outcomes_path, *events, result->outcomes); !s.ok()) {
      std::cerr << "recd-bench: --replay-outcomes: " << s.message() << "\n";
      return 2;
    }
  }
  if (json) {
    nlohmann::json j = result->ToJson(o.k);
    j["target"] = o.target;
    j["log"] = log_path;
    j["offered_qps"] = o.qps;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << "replay of " << log_path << " at " << o.qps << " events/s against " << o.target << "\n"
              << result->ToText(o.k);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"recd-bench: closed- or open-loop load for recd over gRPC"};
  recd::LoadGeneratorOptions o;
  double duration_s = 10, warmup_s = 2, timeout_ms = 1000;
  std::string users_file, items_file, recd_config;
  int demo_users = 3000;
  bool json = false;
  std::string replay_log;
  int replay_workers = 16;
  bool replay_no_record = false;
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
  app.add_option("--users-zipf", o.users_zipf,
                 "0: users drawn uniformly. S > 0: Zipf-popular users, rank r drawn with probability "
                 "~ 1/r^S (ranks a seeded shuffle of the users; real shops: S ~ 1)")
      ->capture_default_str();
  app.add_option("--session-items", o.session_items,
                 "recent_item_ids per RecommendItems, drawn as each user's session (a seeded item "
                 "sequence per user; the user's next request drops the oldest, adds one); needs item ids")
      ->capture_default_str();
  app.add_option("--seed", o.seed, "seeds the users drawn, the popularity order and the sessions")
      ->capture_default_str();
  app.add_option("--items-file", items_file,
                 "item ids, one per line, for --event-fraction and --session-items (a bundle version's "
                 "items.txt, e.g. models/demo/1/items.txt)");
  app.add_option("--recd-config", recd_config,
                 "else read the item ids of the bundle this recd config serves (newest version of its "
                 "models.path), e.g. config/recd.yaml or the make-100k.sh recd.yaml");
  app.add_option("--event-fraction", o.event_fraction, "share of calls that are RecordEvents")
      ->check(CLI::Range(0.0, 1.0))->capture_default_str();
  app.add_option("-k", o.k, "items per RecommendItems")->capture_default_str();
  app.add_option("--channels", o.channels, "client connections")->capture_default_str();
  app.add_flag("--json", json, "print the result as JSON");
  app.add_option("--replay", replay_log,
                 "replay an events CSV at --qps: ask RecommendItems for each event's user, score the answer "
                 "against the event's item (HR@k, NDCG@k per experiment arm), then record the event");
  app.add_option("--replay-workers", replay_workers, "replay: calls in flight at most (users hashed to workers)")
      ->capture_default_str();
  app.add_flag("--replay-no-record", replay_no_record, "replay: ask only, do not send the events");
  std::string replay_outcomes;
  app.add_option("--replay-outcomes", replay_outcomes,
                 "replay: write user, item, arm and rank (-1: a miss, error: no answer) of every event here "
                 "(TSV, log order; as recd-eval --replay-outcomes)");
  std::string ca_file, cert_file, key_file;
  app.add_option("--ca", ca_file, "TLS: the CA certificate (PEM) that signed recd's; turns TLS on");
  app.add_option("--cert", cert_file, "mutual TLS: this client's certificate (PEM)")->needs("--ca");
  app.add_option("--key", key_file, "mutual TLS: this client's private key (PEM)")->needs("--cert");
  app.add_option("--token", o.token, "bearer token (default: $RECD_TOKEN)");
  CLI11_PARSE(app, argc, argv);

  if (o.token.empty()) {
    if (const char* env = std::getenv("RECD_TOKEN")) o.token = env;
  }
  for (auto [path, pem] : {std::pair{&ca_file, &o.tls_ca_pem}, std::pair{&cert_file, &o.tls_cert_pem},
                           std::pair{&key_file, &o.tls_key_pem}}) {
    if (path->empty()) continue;
    std::ifstream in(*path);
    if (!in) {
      std::cerr << "recd-bench: cannot read " << *path << "\n";
      return 2;
    }
    pem->assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  o.duration = absl::Seconds(duration_s);
  o.warmup = absl::Seconds(warmup_s);
  o.call_timeout = absl::Milliseconds(timeout_ms);
  if (!replay_log.empty()) return Replay(replay_log, o, replay_workers, !replay_no_record, json, replay_outcomes);
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
  if (items_file.empty() && !recd_config.empty()) {
    auto path = ItemsFileOfConfig(recd_config);
    if (!path.ok()) {
      std::cerr << "recd-bench: --recd-config: " << path.status().message() << "\n";
      return 2;
    }
    items_file = *path;
  }
  if (!items_file.empty()) {
    auto items = ReadLines(items_file);
    if (!items.ok()) {
      std::cerr << "recd-bench: " << items.status().message() << "\n";
      return 2;
    }
    o.items = *std::move(items);
  }
  if (absl::Status s = recd::ValidateLoadOptions(o); !s.ok()) {
    std::cerr << "recd-bench: " << s.message() << "\n";
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
    j["users_zipf"] = o.users_zipf;
    j["session_items"] = o.session_items;
    j["seed"] = o.seed;
    j["draws"] = recd::DescribeDraws(o);
    if (o.open_loop) j["offered_qps"] = o.qps;
    std::cout << j.dump(2) << "\n";
  } else {
    std::cout << (o.open_loop ? absl::StrCat("open loop at ", o.qps, " QPS")
                              : absl::StrCat("closed loop, ", o.concurrency, " in flight"))
              << " against " << o.service << " at " << o.target << "; " << recd::DescribeDraws(o) << "\n"
              << result->ToText() << "\n";
  }
  return 0;
}
