#ifndef RECD_TRAIN_LSTM_ADAM_H_
#define RECD_TRAIN_LSTM_ADAM_H_

#include <Eigen/Core>
#include <array>
#include <cstdint>

#include "models/lstm_scorer.h"
#include "train/lstm_trainer.h"
#include "train/sparse_lstm_grad.h"

namespace recd {

// The seven parameter tensors of LstmWeights as flat arrays, in the order of
// the struct (item_embedding first, output_bias last).
std::array<Eigen::Map<Eigen::ArrayXf>, 7> FlatTensors(LstmWeights& w);

// Adam with decoupled (AdamW) weight decay over the tensors of LstmWeights,
// with its moment estimates stored in the same layout. Takes the learning
// rate, betas and weight decay from LstmTrainOptions.
//
// Two updates:
//  - dense: every element, as in the paper;
//  - lazy (a SparseLstmGrad): the cell tensors densely, but of the
//    item-indexed tensors only the rows in the gradient: their moments decay
//    and their weights move (and decay) only in steps that touch them, like
//    TF's LazyAdamOptimizer. With sampled softmax most rows have a zero
//    gradient in any one step, and a dense update would cost O(num_items)
//    per step just to coast them on stale momentum.
// Both use the global step count for the bias correction, so a lazy update
// that touches every row equals the dense one.
//
// Not thread-safe.
class LstmAdam {
 public:
  // Zero moments shaped like `like`.
  LstmAdam(const LstmWeights& like, const LstmTrainOptions& options);
  LstmAdam(const LstmAdam&) = delete;
  LstmAdam& operator=(const LstmAdam&) = delete;

  // REQUIRES: `w` and `g` have the shapes given at construction.
  void Update(LstmWeights& w, LstmWeights& g);
  // REQUIRES: `w` as above; g's item lists within [0, w.num_items()).
  void Update(LstmWeights& w, const SparseLstmGrad& g);

  int64_t steps() const { return step_; }

 private:
  // Per-step constants shared by every tensor.
  struct Coefficients {
    float b1, b2, step_size, decay;
  };
  Coefficients NextStep();
  static void Apply(const Coefficients& c, Eigen::Map<Eigen::ArrayXf> p,
                    Eigen::Map<const Eigen::ArrayXf> g, Eigen::Map<Eigen::ArrayXf> m,
                    Eigen::Map<Eigen::ArrayXf> v);

  LstmWeights m_;
  LstmWeights v_;
  float learning_rate_;
  float beta1_;
  float beta2_;
  float weight_decay_;
  int64_t step_ = 0;
};

}  // namespace recd

#endif  // RECD_TRAIN_LSTM_ADAM_H_
