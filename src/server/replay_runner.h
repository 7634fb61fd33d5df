#ifndef RECD_SERVER_REPLAY_RUNNER_H_
#define RECD_SERVER_REPLAY_RUNNER_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "data/replay_log.h"
#include "eval/replay_score.h"
#include "nlohmann/json.hpp"
#include "recd/v1/recommender.pb.h"

namespace recd {

// Where the event's item stands in the answer: its 0-based rank, or nullopt
// when the answer does not hold it.
std::optional<int> RankOfItem(const v1::RecommendResponse& answer, const std::string& item);

// What replaying a log measured for one experiment arm (or for all).
struct ReplayQuality {
  int64_t asked = 0;     // RecommendItems answered OK
  int64_t degraded = 0;  // of those, with models left out
  int64_t fallback = 0;  // of those, from the popularity fallback
  int64_t hits = 0;      // answers holding the item the user took next
  double ndcg_sum = 0;   // sum of 1 / log2(rank + 2) over the hits
  double ndcg_sq_sum = 0;  // sum of its squares, for the standard error
  std::vector<double> latencies_ms;  // of the answered asks, from the planned start

  // Counts one answered ask; `rank` as RankOfItem gives it.
  void Add(std::optional<int> rank, double latency_ms, bool degraded_answer, bool fallback_answer);
  double hit_rate() const { return asked > 0 ? static_cast<double>(hits) / static_cast<double>(asked) : 0; }
  double ndcg() const { return asked > 0 ? ndcg_sum / static_cast<double>(asked) : 0; }
  // The quality figures alone, with their standard errors.
  ReplayScore score() const { return {asked, hits, ndcg_sum, ndcg_sq_sum}; }
};

// What recd-bench --replay sends and how.
struct ReplayOptions {
  std::string target = "127.0.0.1:50051";
  double qps = 100;  // events started per second, whatever the answers do
  int k = 10;        // items asked for before each event
  absl::Duration call_timeout = absl::Seconds(1);
  // Calls in flight at most: each worker replays the events of the users
  // hashed to it, one after another, so a user's ask always follows their
  // previous event. A worker that falls behind starts late, and the lateness
  // counts in the latency (measured from the planned start).
  int workers = 16;
  int channels = 4;
  // Send each event through RecordEvents after its ask (as a live shop
  // does, so the next ask sees it). false: asks only.
  bool record_events = true;
  std::string tls_ca_pem, tls_cert_pem, tls_key_pem;  // as LoadGeneratorOptions
  std::string token;
};

// What one replay measured.
struct ReplayResult {
  int64_t events = 0;
  double seconds = 0;
  // Per experiment arm (the answer's experiment_arm; "" when the daemon has
  // no experiments), and over every answered ask.
  std::map<std::string, ReplayQuality> arms;
  ReplayQuality all;
  std::map<std::string, int64_t> ask_errors;     // status code name -> count
  std::map<std::string, int64_t> record_errors;  // status code name -> count
  int64_t recorded = 0;                          // events acknowledged
  // One per event of the log, in log order (recd-bench --replay-outcomes).
  std::vector<ReplayOutcome> outcomes;

  nlohmann::json ToJson(int k) const;
  std::string ToText(int k) const;
};

// OK if RunReplay can run with `options`; errors name the recd-bench flag.
absl::Status ValidateReplayOptions(const ReplayOptions& options);

// Replays `events` in order against a recd at options.qps: for each, asks
// RecommendItems for the event's user, scores the answer against the
// event's item (hit rate and NDCG at k), then records the event.
absl::StatusOr<ReplayResult> RunReplay(const std::vector<ReplayEvent>& events, const ReplayOptions& options);

}  // namespace recd

#endif  // RECD_SERVER_REPLAY_RUNNER_H_
