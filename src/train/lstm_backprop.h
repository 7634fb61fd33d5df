#ifndef RECD_TRAIN_LSTM_BACKPROP_H_
#define RECD_TRAIN_LSTM_BACKPROP_H_

#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include <Eigen/Core>

#include "models/lstm_scorer.h"

namespace recd {

// Loss and gradients of the LSTM next-item model on one mini-batch: the
// forward pass, full-softmax cross-entropy at every position, and
// backpropagation through time. Separate from the trainer so the gradient
// check test can call it directly.
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

  // Positions predicted by the last Compute() call.
  int64_t positions() const { return positions_; }

 private:
  void Pack(std::span<const std::span<const int32_t>> sequences);
  void Forward(const LstmWeights& w);
  double SoftmaxAndOutputGrad(const LstmWeights& w, LstmWeights* grad);
  void Backward(const LstmWeights& w, LstmWeights* grad);

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
  RowMatrixXf logits_;   // [chunk x num_items]
  RowMatrixXf d_h_;      // [P x H] dLoss/dh
  RowMatrixXf d_c_;      // [P x H] dLoss/dc through the recurrence
  RowMatrixXf d_gates_;  // [P x 4H] dLoss/d(pre-activation)
  RowMatrixXf d_x_;      // [P x E]
};

}  // namespace recd

#endif  // RECD_TRAIN_LSTM_BACKPROP_H_
