#include "train/lstm_backprop.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

namespace recd {
namespace {

// Rows of logits materialised at once: big enough for efficient GEMMs,
// small enough (~50 MB at 12k items, 4 MB with 1024 sampled negatives) to
// stay out of the way of other work.
constexpr int64_t kLogitChunkRows = 1024;

// Fills `mask` with 0 (probability p) or 1/(1-p): inverted dropout, so
// nothing needs rescaling at inference.
void DrawMask(float p, std::mt19937_64* rng, RowMatrixXf* mask) {
  if (p <= 0.0f) {
    mask->setOnes();
    return;
  }
  const float keep_scale = 1.0f / (1.0f - p);
  // Compare 32-bit halves of each 64-bit draw against p scaled to 2^32.
  const uint64_t threshold = static_cast<uint64_t>(static_cast<double>(p) * 4294967296.0);
  float* data = mask->data();
  const int64_t n = mask->size();
  for (int64_t i = 0; i < n; i += 2) {
    const uint64_t r = (*rng)();
    data[i] = (r & 0xffffffffu) < threshold ? 0.0f : keep_scale;
    if (i + 1 < n) data[i + 1] = (r >> 32) < threshold ? 0.0f : keep_scale;
  }
}

}  // namespace

void LstmBackprop::Pack(std::span<const std::span<const int32_t>> sequences) {
  std::vector<size_t> order;
  for (size_t s = 0; s < sequences.size(); ++s) {
    if (sequences[s].size() >= 2) order.push_back(s);
  }
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return sequences[a].size() > sequences[b].size();
  });
  const int64_t steps = order.empty() ? 0 : static_cast<int64_t>(sequences[order[0]].size()) - 1;
  offset_.assign(static_cast<size_t>(steps) + 1, 0);
  inputs_.clear();
  targets_.clear();
  for (int64_t t = 0; t < steps; ++t) {
    offset_[static_cast<size_t>(t)] = static_cast<int64_t>(inputs_.size());
    for (size_t s : order) {
      const auto& seq = sequences[s];
      if (static_cast<int64_t>(seq.size()) - 1 <= t) break;  // sorted: the rest are shorter
      inputs_.push_back(seq[static_cast<size_t>(t)]);
      targets_.push_back(seq[static_cast<size_t>(t) + 1]);
    }
  }
  positions_ = static_cast<int64_t>(inputs_.size());
  offset_[static_cast<size_t>(steps)] = positions_;
}

void LstmBackprop::Forward(const LstmWeights& w) {
  const int64_t p = positions_;
  const int64_t h = w.hidden_dim();
  for (int64_t r = 0; r < p; ++r) {
    x_.row(r) = w.item_embedding.row(inputs_[static_cast<size_t>(r)]).cwiseProduct(x_mask_.row(r));
  }
  // Input projections of all steps in one GEMM; the recurrence adds W_hh h.
  gates_.noalias() = x_ * w.weight_ih.transpose();
  gates_.rowwise() += (w.bias_ih + w.bias_hh).transpose();
  const int64_t steps = static_cast<int64_t>(offset_.size()) - 1;
  for (int64_t t = 0; t < steps; ++t) {
    const int64_t r0 = offset_[static_cast<size_t>(t)];
    const int64_t n = offset_[static_cast<size_t>(t) + 1] - r0;
    auto z = gates_.middleRows(r0, n);
    if (t > 0) {
      const int64_t q0 = offset_[static_cast<size_t>(t) - 1];
      h_prev_.middleRows(r0, n) = h_.middleRows(q0, n);
      z.noalias() += h_prev_.middleRows(r0, n) * w.weight_hh.transpose();
    } else {
      h_prev_.middleRows(r0, n).setZero();
    }
    auto in = z.leftCols(h).array();
    auto forget = z.middleCols(h, h).array();
    auto cell = z.middleCols(2 * h, h).array();
    auto out = z.rightCols(h).array();
    in = (1.0f + (-in).exp()).inverse();
    forget = (1.0f + (-forget).exp()).inverse();
    cell = cell.tanh();
    out = (1.0f + (-out).exp()).inverse();
    auto c = c_.middleRows(r0, n).array();
    if (t > 0) {
      c = forget * c_.middleRows(offset_[static_cast<size_t>(t) - 1], n).array() + in * cell;
    } else {
      c = in * cell;
    }
    tanh_c_.middleRows(r0, n).array() = c.tanh();
    h_.middleRows(r0, n).array() = out * tanh_c_.middleRows(r0, n).array();
  }
  h_out_.array() = h_.array() * h_mask_.array();
}

double LstmBackprop::SoftmaxAndOutputGrad(const LstmWeights& w, LstmWeights* grad) {
  const int64_t p = positions_;
  const int64_t items = w.num_items();
  const float inv_p = 1.0f / static_cast<float>(p);
  std::vector<double> row_loss(static_cast<size_t>(p));
  for (int64_t r0 = 0; r0 < p; r0 += kLogitChunkRows) {
    const int64_t m = std::min(kLogitChunkRows, p - r0);
    logits_.resize(m, items);
    logits_.noalias() = h_out_.middleRows(r0, m) * w.output_weight.transpose();
#pragma omp parallel for schedule(static) if (m * items >= (1 << 18))
    for (int64_t i = 0; i < m; ++i) {
      auto row = logits_.row(i).array();
      row += w.output_bias.transpose().array();
      const int32_t target = targets_[static_cast<size_t>(r0 + i)];
      const float max = row.maxCoeff();
      const float target_logit = row(target);
      row = (row - max).exp();
      const float sum = row.sum();
      row_loss[static_cast<size_t>(r0 + i)] =
          std::log(static_cast<double>(sum)) + max - target_logit;
      if (grad != nullptr) {
        row *= inv_p / sum;
        row(target) -= inv_p;
      }
    }
    if (grad == nullptr) continue;
    grad->output_weight.noalias() += logits_.transpose() * h_out_.middleRows(r0, m);
    grad->output_bias += logits_.colwise().sum().transpose();
    d_h_.middleRows(r0, m).noalias() = logits_ * w.output_weight;
  }
  return std::accumulate(row_loss.begin(), row_loss.end(), 0.0) / static_cast<double>(p);
}

double LstmBackprop::SampledSoftmaxAndOutputGrad(const LstmWeights& w,
                                                 const NegativeSample& negatives,
                                                 std::span<const float> log_expected_count,
                                                 SparseLstmGrad* grad) {
  const int64_t p = positions_;
  const auto k = static_cast<Eigen::Index>(negatives.items.size());
  const float inv_p = 1.0f / static_cast<float>(p);
  rows_.Resize(w.num_items());
  // The negatives take rows 0..k-1 of the output gradient, in their order,
  // and the targets that are no negative the rows after them.
  std::vector<int32_t> output_items;
  negative_weight_.resize(k, w.hidden_dim());
  negative_offset_.resize(k);
  for (Eigen::Index j = 0; j < k; ++j) {
    const int32_t item = negatives.items[static_cast<size_t>(j)];
    rows_.Insert(item, &output_items);
    negative_weight_.row(j) = w.output_weight.row(item);
    negative_offset_(j) = w.output_bias(item) - log_expected_count[static_cast<size_t>(item)] +
                          std::log(static_cast<float>(negatives.counts[static_cast<size_t>(j)]));
  }
  if (grad != nullptr) {
    for (int32_t target : targets_) rows_.Insert(target, &output_items);
    grad->output_weight.setZero(static_cast<Eigen::Index>(output_items.size()), w.hidden_dim());
    grad->output_bias.setZero(static_cast<Eigen::Index>(output_items.size()));
  }
  d_target_logit_.resize(static_cast<size_t>(p));
  double loss = 0;
  for (int64_t r0 = 0; r0 < p; r0 += kLogitChunkRows) {
    const int64_t m = std::min(kLogitChunkRows, p - r0);
    logits_.resize(m, k);
    logits_.noalias() = h_out_.middleRows(r0, m) * negative_weight_.transpose();
    logits_.rowwise() += negative_offset_.transpose();
    for (int64_t i = 0; i < m; ++i) {
      const int32_t target = targets_[static_cast<size_t>(r0 + i)];
      const float target_logit = h_out_.row(r0 + i).dot(w.output_weight.row(target)) +
                                 w.output_bias(target) -
                                 log_expected_count[static_cast<size_t>(target)];
      auto row = logits_.row(i).array();
      // An accidental hit, the target drawn as a negative, is no negative.
      if (const int32_t hit = rows_.Find(target); hit >= 0 && hit < k) {
        row(hit) = -std::numeric_limits<float>::infinity();
      }
      const float max = k > 0 ? std::max(target_logit, row.maxCoeff()) : target_logit;
      row = (row - max).exp();
      const float target_exp = std::exp(target_logit - max);
      const float sum = row.sum() + target_exp;
      loss += std::log(static_cast<double>(sum)) + max - target_logit;
      if (grad != nullptr) {
        row *= inv_p / sum;
        d_target_logit_[static_cast<size_t>(r0 + i)] = inv_p * (target_exp / sum - 1.0f);
      }
    }
    if (grad == nullptr) continue;
    grad->output_weight.topRows(k).noalias() += logits_.transpose() * h_out_.middleRows(r0, m);
    grad->output_bias.head(k) += logits_.colwise().sum().transpose();
    d_h_.middleRows(r0, m).noalias() = logits_ * negative_weight_;
  }
  if (grad != nullptr) {
    for (int64_t r = 0; r < p; ++r) {
      const int32_t target = targets_[static_cast<size_t>(r)];
      const int32_t row = rows_.Find(target);
      const float g = d_target_logit_[static_cast<size_t>(r)];
      grad->output_weight.row(row) += g * h_out_.row(r);
      grad->output_bias(row) += g;
      d_h_.row(r) += g * w.output_weight.row(target);
    }
  }
  rows_.Clear(output_items);
  if (grad != nullptr) grad->output_items = std::move(output_items);
  return loss / static_cast<double>(p);
}

void LstmBackprop::Backward(const LstmWeights& w, RowMatrixXf* d_weight_ih,
                            RowMatrixXf* d_weight_hh, Eigen::VectorXf* d_bias_ih,
                            Eigen::VectorXf* d_bias_hh) {
  const int64_t h = w.hidden_dim();
  d_h_.array() *= h_mask_.array();
  d_c_.setZero();
  const int64_t steps = static_cast<int64_t>(offset_.size()) - 1;
  for (int64_t t = steps - 1; t >= 0; --t) {
    const int64_t r0 = offset_[static_cast<size_t>(t)];
    const int64_t n = offset_[static_cast<size_t>(t) + 1] - r0;
    const auto a = gates_.middleRows(r0, n).array();
    const auto in = a.leftCols(h);
    const auto forget = a.middleCols(h, h);
    const auto cell = a.middleCols(2 * h, h);
    const auto out = a.rightCols(h);
    const auto tc = tanh_c_.middleRows(r0, n).array();
    const auto dh = d_h_.middleRows(r0, n).array();
    auto dc = d_c_.middleRows(r0, n).array();
    dc += dh * out * (1.0f - tc.square());
    auto dz = d_gates_.middleRows(r0, n).array();
    dz.rightCols(h) = dh * tc * out * (1.0f - out);
    dz.leftCols(h) = dc * cell * in * (1.0f - in);
    dz.middleCols(2 * h, h) = dc * in * (1.0f - cell.square());
    if (t > 0) {
      const int64_t q0 = offset_[static_cast<size_t>(t) - 1];
      dz.middleCols(h, h) = dc * c_.middleRows(q0, n).array() * forget * (1.0f - forget);
      d_c_.middleRows(q0, n).array() = dc * forget;
      d_h_.middleRows(q0, n).noalias() += d_gates_.middleRows(r0, n) * w.weight_hh;
    } else {
      dz.middleCols(h, h).setZero();  // c_{-1} = 0: the forget gate has no effect
    }
  }
  d_weight_ih->noalias() = d_gates_.transpose() * x_;
  d_weight_hh->noalias() = d_gates_.transpose() * h_prev_;
  *d_bias_ih = d_gates_.colwise().sum().transpose();
  *d_bias_hh = *d_bias_ih;
  d_x_.noalias() = d_gates_ * w.weight_ih;
  d_x_.array() *= x_mask_.array();
}

void LstmBackprop::Prepare(const LstmWeights& w, const Dropout& dropout, std::mt19937_64* rng) {
  const int64_t p = positions_;
  const int64_t e = w.embedding_dim();
  const int64_t h = w.hidden_dim();
  x_.resize(p, e);
  x_mask_.resize(p, e);
  gates_.resize(p, 4 * h);
  c_.resize(p, h);
  tanh_c_.resize(p, h);
  h_.resize(p, h);
  h_prev_.resize(p, h);
  h_out_.resize(p, h);
  h_mask_.resize(p, h);
  d_h_.resize(p, h);
  d_c_.resize(p, h);
  d_gates_.resize(p, 4 * h);
  d_x_.resize(p, e);
  DrawMask(dropout.embedding, rng, &x_mask_);
  DrawMask(dropout.hidden, rng, &h_mask_);
}

double LstmBackprop::Compute(const LstmWeights& w,
                             std::span<const std::span<const int32_t>> sequences,
                             const Dropout& dropout, std::mt19937_64* rng, LstmWeights* grad) {
  Pack(sequences);
  if (grad != nullptr) {
    grad->item_embedding.setZero();
    grad->output_weight.setZero();
    grad->output_bias.setZero();
  }
  if (positions_ == 0) {
    if (grad != nullptr) {
      grad->weight_ih.setZero();
      grad->weight_hh.setZero();
      grad->bias_ih.setZero();
      grad->bias_hh.setZero();
    }
    return 0.0;
  }
  Prepare(w, dropout, rng);
  Forward(w);
  const double loss = SoftmaxAndOutputGrad(w, grad);
  if (grad != nullptr) {
    Backward(w, &grad->weight_ih, &grad->weight_hh, &grad->bias_ih, &grad->bias_hh);
    for (int64_t r = 0; r < positions_; ++r) {
      grad->item_embedding.row(inputs_[static_cast<size_t>(r)]) += d_x_.row(r);
    }
  }
  return loss;
}

double LstmBackprop::ComputeSampled(const LstmWeights& w,
                                    std::span<const std::span<const int32_t>> sequences,
                                    const NegativeSample& negatives,
                                    std::span<const float> log_expected_count,
                                    const Dropout& dropout, std::mt19937_64* rng,
                                    SparseLstmGrad* grad) {
  Pack(sequences);
  if (grad != nullptr) grad->ResetCell(w.embedding_dim(), w.hidden_dim());
  if (positions_ == 0) return 0.0;
  Prepare(w, dropout, rng);
  Forward(w);
  const double loss = SampledSoftmaxAndOutputGrad(w, negatives, log_expected_count, grad);
  if (grad == nullptr) return loss;
  Backward(w, &grad->weight_ih, &grad->weight_hh, &grad->bias_ih, &grad->bias_hh);
  for (int32_t item : inputs_) rows_.Insert(item, &grad->embedding_items);
  grad->item_embedding.setZero(static_cast<Eigen::Index>(grad->embedding_items.size()),
                               w.embedding_dim());
  for (int64_t r = 0; r < positions_; ++r) {
    grad->item_embedding.row(rows_.Find(inputs_[static_cast<size_t>(r)])) += d_x_.row(r);
  }
  rows_.Clear(grad->embedding_items);
  return loss;
}

}  // namespace recd
