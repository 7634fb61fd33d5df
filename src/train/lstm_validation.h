#ifndef RECD_TRAIN_LSTM_VALIDATION_H_
#define RECD_TRAIN_LSTM_VALIDATION_H_

#include <cstdint>

#include "models/lstm_scorer.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"

namespace recd {

// EvaluateScorer(scorer, split, EvalTarget::kValidation, max_users), scoring
// blocks of users with one matrix product each instead of one
// matrix-vector product per user. Per user, ScoreAll() streams the whole
// [num_items x H] output matrix from memory (25 MB at 100k items), which
// made validation a third of a sampled-softmax epoch; a block of users
// shares one pass. Same users, histories and ranking protocol; scores may
// differ from ScoreAll()'s in the last bits (another summation order).
// Runs blocks in parallel on the OpenMP threads.
RankingMetrics ValidateLstm(const LstmScorer& scorer, const LeaveOneOutSplit& split,
                            int64_t max_users);

}  // namespace recd

#endif  // RECD_TRAIN_LSTM_VALIDATION_H_
