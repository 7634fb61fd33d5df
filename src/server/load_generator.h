#ifndef RECD_SERVER_LOAD_GENERATOR_H_
#define RECD_SERVER_LOAD_GENERATOR_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace recd {

// The gRPC metadata key callers set to the request's user id so an edge
// with user affinity (deploy/haproxy/replicas.cfg) routes each user to one
// replica. recd itself ignores it.
inline constexpr std::string_view kUserRoutingHeader = "x-recd-user";

// What recd-bench sends and how. Every field's default is the value shown.
struct LoadGeneratorOptions {
  std::string target = "127.0.0.1:50051";
  // "recd": RecommendItems/RecordEvents mix; "echo": the Echo baseline.
  std::string service = "recd";
  // Closed loop keeps `concurrency` calls in flight; open loop starts calls
  // at `qps` whatever the answers do (latency counts from the planned start,
  // so a stalled server cannot hide its queueing).
  bool open_loop = false;
  int concurrency = 32;
  double qps = 1000;
  absl::Duration duration = absl::Seconds(10);
  absl::Duration warmup = absl::Seconds(2);
  absl::Duration call_timeout = absl::Seconds(1);
  std::vector<std::string> users;  // one drawn per call (see users_zipf)
  // Item ids for RecordEvents and for session items.
  std::vector<std::string> items;
  // 0: each call's user is drawn uniformly. > 0: from a Zipf-popular
  // population, the user of (seeded, shuffled) rank r with probability
  // proportional to 1 / r^users_zipf. See RequestSampler.
  double users_zipf = 0;
  // recent_item_ids per RecommendItems, drawn from `items` as each user's
  // session: a user's next request drops the oldest and adds one.
  int session_items = 0;
  double event_fraction = 0.0;     // share of calls that are RecordEvents
  int k = 10;
  int channels = 4;                // client channels (connections)
  uint64_t seed = 1;  // the user of call n, the popular users and the sessions
  // A secured recd (README, Security): TLS when tls_ca_pem (the CA's PEM)
  // is set, with this client's certificate and key for mutual TLS; `token`
  // goes in every call's `authorization: Bearer` metadata. "" = plaintext,
  // no token.
  std::string tls_ca_pem, tls_cert_pem, tls_key_pem;
  std::string token;
};


// How an OK answer was made: every weighted model, some left out
// (`degraded` non-empty), or the popularity fallback.
enum class AnswerKind { kFull, kDegraded, kFallback };

// What one run measured.
struct LoadResult {
  int64_t calls = 0;
  int64_t ok = 0;
  int64_t degraded = 0;  // OK answers with models left out
  int64_t fallback = 0;  // OK answers from the popularity fallback
  // Full answers that arrived within the call deadline, per second.
  double goodput_qps = 0;
  std::map<std::string, int64_t> errors;  // status code name -> count
  double seconds = 0;
  double qps = 0;  // completed calls per second, errors included
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, p999_ms = 0, max_ms = 0;  // every call
  double ok_p50_ms = 0, ok_p99_ms = 0;            // answered (OK) calls
  double read_p50_ms = 0, read_p99_ms = 0;        // answered RecommendItems
  double write_p50_ms = 0, write_p99_ms = 0;      // answered RecordEvents
  double refused_p50_ms = 0, refused_p99_ms = 0;  // RESOURCE_EXHAUSTED calls

  nlohmann::json ToJson() const;
  std::string ToText() const;
};

// OK if RunLoad can run with `options`; errors name the recd-bench flag at
// fault ("--users-zipf: must be ... got -1").
absl::Status ValidateLoadOptions(const LoadGeneratorOptions& options);

// One line saying how users and session items are drawn, for reports:
// "users zipf s=1.1 over 50000 (...), 3 session items per request ...".
std::string DescribeDraws(const LoadGeneratorOptions& options);

// Drives a recd (or Echo) server over gRPC with the callback client API.
absl::StatusOr<LoadResult> RunLoad(const LoadGeneratorOptions& options);

}  // namespace recd

#endif  // RECD_SERVER_LOAD_GENERATOR_H_
