#ifndef RECD_EVALUATOR_H_
#define RECD_EVALUATOR_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "recd/leave_one_out.h"
#include "recd/scorer.h"

namespace recd {

// Accuracy of a full-catalog ranking, averaged over users with a target
// (recd/ranking_metrics.h defines each per-user figure). With a set of
// targets per user, HR@k is the share of users with at least one target in
// the top k and MRR uses the best-ranked target; F1@k is the mean of the
// users' F1, not the F1 of the mean precision and recall. Under
// leave-one-out (one target each) precision@k = HR@k / k, recall@k = HR@k
// and F1@k = 2 HR@k / (k + 1).
struct RankingMetrics {
  double hr5 = 0, hr10 = 0, hr20 = 0;
  double ndcg5 = 0, ndcg10 = 0, ndcg20 = 0;
  double precision5 = 0, precision10 = 0, precision20 = 0;
  double recall5 = 0, recall10 = 0, recall20 = 0;
  double f1_5 = 0, f1_10 = 0, f1_20 = 0;
  double mrr = 0;
  int64_t users = 0;

  void Add(int64_t rank);  // accumulate one user's single target rank
  // Accumulates one user with a set of targets, given each one's 0-based
  // rank (distinct). A user with no targets is not counted.
  void Add(std::span<const int64_t> target_ranks);
  void Finish();           // divide sums by users
  std::string ToString() const;
};

enum class EvalTarget { kValidation, kTest };

// Scores every catalog item for each user with a target and ranks the target
// among all items not in the user's history (the published protocol).
// History is split.train for kValidation, train + valid for kTest.
// `max_users` > 0 evaluates only that many users, spread evenly over the
// user list (see UsersWithTarget).
// Runs users in parallel; `scorer` must be thread-safe (all Scorers are).
RankingMetrics EvaluateScorer(const Scorer& scorer, const LeaveOneOutSplit& split,
                              EvalTarget target, int64_t max_users = 0);

// Users (dense ids, ascending) whose `target` event exists. With max_users > 0,
// at most that many, taken at an even stride over all of them: data files
// are often ordered (by sign-up, by activity), and the first N users of
// Amazon Beauty score about half of what all users score.
std::vector<int32_t> UsersWithTarget(const LeaveOneOutSplit& split, EvalTarget target, int64_t max_users);

// The history a model sees for `user` when predicting `target`.
std::vector<Event> EvalHistory(const LeaveOneOutSplit& split, int32_t user, EvalTarget target);

}  // namespace recd

#endif  // RECD_EVALUATOR_H_
