#ifndef RECD_TRAIN_LSTM_TRAINER_H_
#define RECD_TRAIN_LSTM_TRAINER_H_

#include <cstdint>
#include <functional>
#include <memory>

#include "absl/status/statusor.h"
#include "models/lstm_scorer.h"
#include "recd/dataset.h"
#include "recd/evaluator.h"
#include "recd/leave_one_out.h"
#include "util/progress_reporter.h"

namespace recd {

// Hyperparameters of TrainLstm(). The defaults are the tuned Amazon Beauty
// recipe (see the Beauty test in tests/train/lstm_trainer_test.cc).
struct LstmTrainOptions {
  int embedding_dim = 64;          // E: item embedding width
  int hidden_dim = 64;             // H: LSTM state width
  int max_len = 50;                // most recent training items per user (and at inference)
  int epochs = 30;                 // upper bound; early stopping or the time budget may end sooner
                                   // (unless fixed_epochs)
  // Train exactly `epochs` epochs and return the last epoch's weights: no
  // early stopping (patience is ignored) and no time budget, so the result
  // depends only on the data, the options, the seed and the thread count,
  // never on how busy the machine is. Validation is still computed and
  // reported after every epoch (cheap next to an epoch), but chooses nothing.
  // Off: the epoch with the best validation NDCG@10 is kept (early stopping).
  bool fixed_epochs = false;
  int batch_size = 128;            // user sequences per Adam step
  float learning_rate = 1e-2f;     // Adam step size; on Beauty validation NDCG@10 rises to
                                   // epoch ~9, then drifts up within noise (best at 18 of 23
                                   // with 2 threads; benchmarks/accuracy.sh)
  float adam_beta1 = 0.9f;         // Adam first-moment decay
  float adam_beta2 = 0.999f;       // Adam second-moment decay
  float embedding_dropout = 0.3f;  // dropout on the input item embeddings
  float hidden_dropout = 0.3f;     // dropout on the LSTM outputs before the softmax
  float weight_decay = 0.0f;       // decoupled (AdamW) decay per step, times learning_rate
  float clip_norm = 5.0f;          // global gradient-norm clip; <= 0 disables
  float init_scale = 0.1f;         // std of the initial item embeddings
  int patience = 5;                // epochs without validation NDCG@10 gain before stopping
  uint64_t seed = 1;               // initialisation, shuffling and dropout
  int threads = 0;                 // batch shards run in parallel; 0 = OpenMP default (cores)
  int64_t validation_users = 5000; // users with a validation target (evenly spread); 0 = all
  double time_budget_seconds = 360; // no epoch starts that the last epoch's duration says
                                   // would end past it (a 6-minute slot); 0 = none
  // Softmax over the catalog. 0 = full softmax: exact, but every position
  // costs O(num_items), fine for Beauty's 12k items and too slow at 100k.
  // N > 0 = sampled softmax with logQ correction: N negatives drawn per
  // batch (shared by all its positions) from q(i) ~ (count(i) + 1)^power,
  // and lazy Adam on the rows the batch touched, so a step costs the same
  // for any catalog size. See NegativeSampler and LstmBackprop::ComputeSampled.
  int sampled_negatives = 0;
  // The power above: 1 = popularity, 0 = uniform. Popular items are the
  // ones a top-10 must beat, so they should be frequent negatives; uniform
  // draws mostly easy tail items (on a generated 100k-item catalog its
  // validation NDCG@10 after 3 epochs was a third below). 0.75 (word2vec's
  // choice) and 1 were within 2% after 7 epochs; 0.75 draws the tail more.
  double sampling_power = 0.75;
  // Draws a bar per epoch over its training sequences (recd-train: stderr).
  // Default none: the tests and other callers train silently.
  ProgressFactory progress;
};

// What TrainLstm reports after each epoch.
struct LstmEpochReport {
  int epoch = 0;              // 1-based
  double loss = 0;            // mean training cross-entropy per predicted position
                              // (the sampled-softmax loss in sampled mode)
  RankingMetrics validation;  // on the validation target of the capped user set
  double seconds = 0;         // wall time of this epoch, training and validation
  bool improved = false;      // validation NDCG@10 is the best so far
};

using LstmProgressCallback = std::function<void(const LstmEpochReport&)>;

// Trains a next-item LSTM on `train_view` (each user's history with the
// validation and test targets removed, i.e. TrainingView()): mini-batches of
// the last max_len + 1 items of each user's sequence, full- or
// sampled-softmax cross-entropy at every position, Adam (lazy Adam when
// sampled) with gradient clipping and dropout.
// After every epoch it ranks `split_for_validation`'s validation targets and
// keeps the weights with the best NDCG@10, stopping after `patience` epochs
// without improvement or at the time budget; with options.fixed_epochs it
// trains exactly options.epochs epochs and keeps the last. Logs one line per
// epoch through spdlog and, if given, calls `progress`. With fixed_epochs
// (or early stopping and a time budget of 0) deterministic for a fixed seed and thread count: the batch is
// split into one shard per thread and the shard gradients are summed in
// shard order, so the thread count is part of the recipe (threads == 1 is
// the reference). A time budget makes the epoch count depend on the machine.
absl::StatusOr<std::unique_ptr<LstmScorer>> TrainLstm(const Dataset& train_view,
                                                      const LeaveOneOutSplit& split_for_validation,
                                                      const LstmTrainOptions& options,
                                                      const LstmProgressCallback& progress = {});

}  // namespace recd

#endif  // RECD_TRAIN_LSTM_TRAINER_H_
