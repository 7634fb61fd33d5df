#ifndef RECD_EVAL_REPLAY_SCORE_H_
#define RECD_EVAL_REPLAY_SCORE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "data/replay_log.h"

namespace recd {

// Hit rate and NDCG at k over the asks of a replayed log, with their
// standard errors, so that two replays of the same log (the daemon's,
// recd-bench --replay, and the offline one, recd-eval --replay) can be told
// apart from sampling noise. A value; not thread-safe.
struct ReplayScore {
  int64_t asked = 0;
  int64_t hits = 0;
  double ndcg_sum = 0;     // sum of 1 / log2(rank + 2) over the hits
  double ndcg_sq_sum = 0;  // sum of its squares, for the standard error

  // Counts one answered ask: the item's 0-based rank, nullopt for a miss.
  void Add(std::optional<int> rank);
  double hit_rate() const;
  double ndcg() const;
  // Binomial: sqrt(p (1 - p) / n). 0 with no asks.
  double hit_rate_se() const;
  // The per-ask NDCG's sample standard deviation / sqrt(n). 0 under two asks.
  double ndcg_se() const;
};

// 1 / log2(rank + 2): NDCG of one target at 0-based `rank`.
double NdcgAtRank(int rank);

// What became of one event of a replayed log.
struct ReplayOutcome {
  std::string arm;          // "" without experiments
  bool answered = false;    // false: the ask failed (no rank)
  std::optional<int> rank;  // the event's item in the answer
};

// Writes one line per event, in log order, "user<TAB>item<TAB>arm<TAB>rank",
// rank -1 for a miss and "error" for an unanswered ask: the same file from
// both replays lets them be compared event by event. Errors name the path.
// REQUIRES: outcomes.size() == log.size().
absl::Status WriteReplayOutcomes(const std::string& path, const std::vector<ReplayEvent>& log,
                                 const std::vector<ReplayOutcome>& outcomes);

}  // namespace recd

#endif  // RECD_EVAL_REPLAY_SCORE_H_
