#include "train/lstm_adam.h"

#include <cmath>

namespace recd {
namespace {

using ArrayMap = Eigen::Map<Eigen::ArrayXf>;
using ConstArrayMap = Eigen::Map<const Eigen::ArrayXf>;

// Parameters or moments of one item: a row, or one element of output.bias.
ArrayMap Row(RowMatrixXf& m, int32_t item) { return ArrayMap(m.row(item).data(), m.cols()); }
ArrayMap Element(Eigen::VectorXf& v, int32_t item) { return ArrayMap(&v(item), 1); }

// Gradient slices.
ConstArrayMap GradRow(const RowMatrixXf& m, size_t k) {
  return ConstArrayMap(m.row(static_cast<Eigen::Index>(k)).data(), m.cols());
}
ConstArrayMap GradElement(const Eigen::VectorXf& v, size_t k) {
  return ConstArrayMap(&v(static_cast<Eigen::Index>(k)), 1);
}
ConstArrayMap Whole(const RowMatrixXf& m) { return ConstArrayMap(m.data(), m.size()); }
ConstArrayMap Whole(const Eigen::VectorXf& v) { return ConstArrayMap(v.data(), v.size()); }

}  // namespace

std::array<Eigen::Map<Eigen::ArrayXf>, 7> FlatTensors(LstmWeights& w) {
  auto map = [](float* data, Eigen::Index n) { return ArrayMap(data, n); };
  return {map(w.item_embedding.data(), w.item_embedding.size()),
          map(w.weight_ih.data(), w.weight_ih.size()),
          map(w.weight_hh.data(), w.weight_hh.size()),
          map(w.bias_ih.data(), w.bias_ih.size()),
          map(w.bias_hh.data(), w.bias_hh.size()),
          map(w.output_weight.data(), w.output_weight.size()),
          map(w.output_bias.data(), w.output_bias.size())};
}

LstmAdam::LstmAdam(const LstmWeights& like, const LstmTrainOptions& o)
    : m_(LstmWeights::Zeros(like.num_items(), like.embedding_dim(), like.hidden_dim())),
      v_(LstmWeights::Zeros(like.num_items(), like.embedding_dim(), like.hidden_dim())),
      learning_rate_(o.learning_rate),
      beta1_(o.adam_beta1),
      beta2_(o.adam_beta2),
      weight_decay_(o.weight_decay) {}

LstmAdam::Coefficients LstmAdam::NextStep() {
  ++step_;
  const float b1 = beta1_;
  const float b2 = beta2_;
  const float lr = learning_rate_;
  const float step_size = lr * std::sqrt(1.0f - std::pow(b2, static_cast<float>(step_))) /
                          (1.0f - std::pow(b1, static_cast<float>(step_)));
  // decay == 1 means none; Apply() skips the multiply then.
  const float decay = weight_decay_ > 0.0f ? 1.0f - lr * weight_decay_ : 1.0f;
  return {b1, b2, step_size, decay};
}

void LstmAdam::Apply(const Coefficients& c, ArrayMap p, ConstArrayMap g, ArrayMap m, ArrayMap v) {
  m = c.b1 * m + (1.0f - c.b1) * g;
  v = c.b2 * v + (1.0f - c.b2) * g.square();
  if (c.decay != 1.0f) p *= c.decay;
  p -= c.step_size * m / (v.sqrt() + 1e-8f);
}

void LstmAdam::Update(LstmWeights& w, LstmWeights& g) {
  const Coefficients c = NextStep();
  auto p = FlatTensors(w);
  auto grad = FlatTensors(g);
  auto m = FlatTensors(m_);
  auto v = FlatTensors(v_);
  for (size_t t = 0; t < p.size(); ++t) {
    Apply(c, p[t], ConstArrayMap(grad[t].data(), grad[t].size()), m[t], v[t]);
  }
}

void LstmAdam::Update(LstmWeights& w, const SparseLstmGrad& g) {
  const Coefficients c = NextStep();
  auto p = FlatTensors(w);
  auto m = FlatTensors(m_);
  auto v = FlatTensors(v_);
  // FlatTensors order: 1..4 are the cell tensors.
  Apply(c, p[1], Whole(g.weight_ih), m[1], v[1]);
  Apply(c, p[2], Whole(g.weight_hh), m[2], v[2]);
  Apply(c, p[3], Whole(g.bias_ih), m[3], v[3]);
  Apply(c, p[4], Whole(g.bias_hh), m[4], v[4]);
  for (size_t k = 0; k < g.embedding_items.size(); ++k) {
    const int32_t item = g.embedding_items[k];
    Apply(c, Row(w.item_embedding, item), GradRow(g.item_embedding, k),
          Row(m_.item_embedding, item), Row(v_.item_embedding, item));
  }
  for (size_t k = 0; k < g.output_items.size(); ++k) {
    const int32_t item = g.output_items[k];
    Apply(c, Row(w.output_weight, item), GradRow(g.output_weight, k), Row(m_.output_weight, item),
          Row(v_.output_weight, item));
    Apply(c, Element(w.output_bias, item), GradElement(g.output_bias, k),
          Element(m_.output_bias, item), Element(v_.output_bias, item));
  }
}

}  // namespace recd
