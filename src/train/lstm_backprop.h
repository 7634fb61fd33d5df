#ifndef RECD_TRAIN_LSTM_BACKPROP_H_
#define RECD_TRAIN_LSTM_BACKPROP_H_

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "models/lstm_scorer.h"
#include "train/negative_sampler.h"
#include "train/sparse_lstm_grad.h"

namespace recd {

// Loss and gradients of the LSTM next-item model on one mini-batch: the
// forward pass, cross-entropy at every position (over all items, or sampled
// softmax over the target and shared negatives), and backpropagation through
// time. Separate from the trainer so the gradient check tests can call it
// directly.
//
// The batch is packed time-major, like PyTorch's PackedSequence: sequences
// are sorted by length, and step t holds the rows of the n_t sequences that
// are still running, so no work is spent on padding and every step is one
// [n_t x H] * [H x 4H] product. The logits are computed in row chunks so the
// [positions x num_items] matrix never has to exist at once.
//
// Owns its scratch buffers (reused across batches). Not thread-safe; the
// heavy products inside use Eigen's OpenMP threads.
class LstmBackprop {
 public:
  struct Dropout {
    float embedding = 0.0f;  // probability of zeroing an input embedding unit
    float hidden = 0.0f;     // probability of zeroing an LSTM output unit
  };

  LstmBackprop() = default;
  LstmBackprop(const LstmBackprop&) = delete;
  LstmBackprop& operator=(const LstmBackprop&) = delete;

  // Each sequence predicts seq[t + 1] from seq[0..t] for every t; sequences
  // shorter than 2 add nothing. Returns the mean cross-entropy over all
  // predicted positions and, when `grad` is not null, overwrites it with the
  // gradient of that mean (grad must have the shapes of `w`). `rng` draws
  // the dropout masks and may be null when both rates are zero.
  // REQUIRES: every item in [0, w.num_items()).
  double Compute(const LstmWeights& w, std::span<const std::span<const int32_t>> sequences,
                 const Dropout& dropout, std::mt19937_64* rng, LstmWeights* grad);

  // Sampled softmax (TF's sampled_softmax_loss with remove_accidental_hits):
  // each position's cross-entropy is over its target and the items of
  // `negatives`, all logits corrected by -log(expected count):
  //   target t:          s_t - log_expected_count[t]
  //   negative j (n_j):  s_j - log_expected_count[j] + log(n_j), or -inf if j == t
  // where n_j is how often j was drawn (n_j equal columns collapsed into
  // one). Returns the mean of that loss and, when `grad` is not null,
  // overwrites it with its gradient, which touches only the rows of the
  // batch's inputs, targets and negatives: the cost is independent of the
  // catalog size. With every item drawn once and log_expected_count all
  // zero this is exactly Compute().
  // REQUIRES: items as for Compute(); log_expected_count has w.num_items()
  // entries; negatives.items distinct.
  double ComputeSampled(const LstmWeights& w, std::span<const std::span<const int32_t>> sequences,
                        const NegativeSample& negatives, std::span<const float> log_expected_count,
                        const Dropout& dropout, std::mt19937_64* rng, SparseLstmGrad* grad);

  // Positions predicted by the last Compute() or ComputeSampled() call.
  int64_t positions() const { return positions_; }

 private:
  void Pack(std::span<const std::span<const int32_t>> sequences);
  void Prepare(const LstmWeights& w, const Dropout& dropout, std::mt19937_64* rng);
  void Forward(const LstmWeights& w);
  double SoftmaxAndOutputGrad(const LstmWeights& w, LstmWeights* grad);
  double SampledSoftmaxAndOutputGrad(const LstmWeights& w, const NegativeSample& negatives,
                                     std::span<const float> log_expected_count,
                                     SparseLstmGrad* grad);
  // Backpropagates d_h_ through the LSTM into the cell tensors' gradients
  // and d_x_ (the input embeddings' gradient, one row per position).
  void Backward(const LstmWeights& w, RowMatrixXf* d_weight_ih, RowMatrixXf* d_weight_hh,
                Eigen::VectorXf* d_bias_ih, Eigen::VectorXf* d_bias_hh);

  int64_t positions_ = 0;
  std::vector<int64_t> offset_;    // [T + 1] first packed row of each step
  std::vector<int32_t> inputs_;    // [P] item fed at each packed row
  std::vector<int32_t> targets_;   // [P] item to predict there

  RowMatrixXf x_;        // [P x E] input embeddings after dropout
  RowMatrixXf x_mask_;   // [P x E] dropout scale (0 or 1/(1-p))
  RowMatrixXf gates_;    // [P x 4H] i, f, g, o after their nonlinearities
  RowMatrixXf c_;        // [P x H] cell state
  RowMatrixXf tanh_c_;   // [P x H]
  RowMatrixXf h_;        // [P x H] hidden state
  RowMatrixXf h_prev_;   // [P x H] hidden state the step started from (0 at t = 0)
  RowMatrixXf h_out_;    // [P x H] hidden state after dropout: the softmax input
  RowMatrixXf h_mask_;   // [P x H]
  RowMatrixXf logits_;   // [chunk x num_items], or [chunk x negatives] when sampled
  RowMatrixXf d_h_;      // [P x H] dLoss/dh
  RowMatrixXf d_c_;      // [P x H] dLoss/dc through the recurrence
  RowMatrixXf d_gates_;  // [P x 4H] dLoss/d(pre-activation)
  RowMatrixXf d_x_;      // [P x E]

  // Sampled softmax only.
  RowMatrixXf negative_weight_;        // [negatives x H] their output.weight rows
  Eigen::VectorXf negative_offset_;    // [negatives] bias plus logQ correction
  std::vector<float> d_target_logit_;  // [P] dLoss/d(target's corrected logit)
  ItemRowIndex rows_;                  // item -> row of the sparse gradient
};

}  // namespace recd

#endif  // RECD_TRAIN_LSTM_BACKPROP_H_
