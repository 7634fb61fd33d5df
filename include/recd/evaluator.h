#ifndef RECD_EVALUATOR_H_
#define RECD_EVALUATOR_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "recd/leave_one_out.h"
#include "recd/scorer.h"

namespace recd {

// Accuracy of a full-catalog ranking, averaged over users with a target.
struct RankingMetrics {
  double hr5 = 0, hr10 = 0, hr20 = 0;
  double ndcg5 = 0, ndcg10 = 0, ndcg20 = 0;
  double mrr = 0;
  int64_t users = 0;

  void Add(int64_t rank);  // accumulate one user's target rank
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
