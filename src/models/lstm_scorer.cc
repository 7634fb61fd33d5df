#include "models/lstm_scorer.h"

#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace recd {
namespace {

// Logistic function; written out so scorer and trainer agree bit for bit.

absl::Status CheckShape(const char* name, int64_t rows, int64_t cols, int64_t want_rows,
                        int64_t want_cols) {
  if (rows == want_rows && cols == want_cols) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat("lstm tensor ", name, " is [", rows, " x ", cols,
                                                 "], expected [", want_rows, " x ", want_cols,
                                                 "]"));
}

}  // namespace

LstmWeights LstmWeights::Zeros(int32_t num_items, int embedding_dim, int hidden_dim) {
  LstmWeights w;
  w.item_embedding = RowMatrixXf::Zero(num_items, embedding_dim);
  w.weight_ih = RowMatrixXf::Zero(4 * hidden_dim, embedding_dim);
  w.weight_hh = RowMatrixXf::Zero(4 * hidden_dim, hidden_dim);
  w.bias_ih = Eigen::VectorXf::Zero(4 * hidden_dim);
  w.bias_hh = Eigen::VectorXf::Zero(4 * hidden_dim);
  w.output_weight = RowMatrixXf::Zero(num_items, hidden_dim);
  w.output_bias = Eigen::VectorXf::Zero(num_items);
  return w;
}

absl::Status LstmWeights::Validate() const {
  const int64_t n = item_embedding.rows();
  const int64_t e = item_embedding.cols();
  const int64_t h = output_weight.cols();
  if (n <= 0 || e <= 0 || h <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("lstm weights are empty: items ", n, ", E ", e, ", H ", h));
  }
  for (absl::Status s : {CheckShape("lstm.weight_ih_l0", weight_ih.rows(), weight_ih.cols(), 4 * h, e),
                         CheckShape("lstm.weight_hh_l0", weight_hh.rows(), weight_hh.cols(), 4 * h, h),
                         CheckShape("lstm.bias_ih_l0", bias_ih.size(), 1, 4 * h, 1),
                         CheckShape("lstm.bias_hh_l0", bias_hh.size(), 1, 4 * h, 1),
                         CheckShape("output.weight", output_weight.rows(), output_weight.cols(), n, h),
                         CheckShape("output.bias", output_bias.size(), 1, n, 1)}) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

LstmScorer::LstmScorer(int32_t num_items, int embedding_dim, int hidden_dim, int max_len)
    : num_items_(num_items), embedding_dim_(embedding_dim), hidden_dim_(hidden_dim),
      max_len_(max_len) {}

void LstmScorer::Bind(const float* item_embedding, const float* weight_ih,
                      const float* weight_hh, const float* bias_ih, const float* bias_hh,
                      const float* output_weight, const float* output_bias) {
  const int g = 4 * hidden_dim_;
  // Placement-new re-seats an Eigen::Map: Maps have no assignment of pointers.
  new (&item_embedding_) ConstMatrixMap(item_embedding, num_items_, embedding_dim_);
  new (&weight_ih_) ConstMatrixMap(weight_ih, g, embedding_dim_);
  new (&weight_hh_) ConstMatrixMap(weight_hh, g, hidden_dim_);
  new (&bias_ih_) ConstVectorMap(bias_ih, g);
  new (&bias_hh_) ConstVectorMap(bias_hh, g);
  new (&output_weight_) ConstMatrixMap(output_weight, num_items_, hidden_dim_);
  new (&output_bias_) ConstVectorMap(output_bias, num_items_);
  bias_ = bias_ih_ + bias_hh_;
  moments_ = EmbeddingMoments::Of(*embeddings());
}

absl::StatusOr<std::unique_ptr<LstmScorer>> LstmScorer::Create(LstmWeights weights, int max_len) {
  if (absl::Status s = weights.Validate(); !s.ok()) return s;
  if (max_len <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("lstm max_len must be positive, got ", max_len));
  }
  std::unique_ptr<LstmScorer> scorer(new LstmScorer(
      weights.num_items(), weights.embedding_dim(), weights.hidden_dim(), max_len));
  scorer->owned_ = std::make_unique<LstmWeights>(std::move(weights));
  const LstmWeights& w = *scorer->owned_;
  scorer->Bind(w.item_embedding.data(), w.weight_ih.data(), w.weight_hh.data(), w.bias_ih.data(),
               w.bias_hh.data(), w.output_weight.data(), w.output_bias.data());
  return scorer;
}

absl::StatusOr<std::unique_ptr<LstmScorer>> LstmScorer::Load(const std::string& model_dir) {
  absl::StatusOr<std::unique_ptr<ModelDir>> dir = ModelDir::Open(model_dir, std::string(kModelType));
  if (!dir.ok()) return dir.status();
  const ModelManifest& m = (*dir)->manifest();
  int64_t dims[3] = {0, 0, 0};
  const char* names[3] = {"embedding_dim", "hidden_dim", "max_len"};
  for (int k = 0; k < 3; ++k) {
    auto it = m.dims.find(names[k]);
    if (it == m.dims.end() || it->second <= 0 || it->second > (1 << 20)) {
      return absl::InvalidArgumentError(absl::StrCat(
          model_dir, "/manifest.json: dims.", names[k], " missing or out of range"));
    }
    dims[k] = it->second;
  }
  const int64_t n = m.num_items;
  const int64_t e = dims[0];
  const int64_t h = dims[1];
  if (n <= 0 || n > std::numeric_limits<int32_t>::max()) {
    return absl::InvalidArgumentError(
        absl::StrCat(model_dir, "/manifest.json: num_items ", n, " out of range"));
  }
  const SafetensorsFile& file = (*dir)->tensors();
  struct Want {
    const char* name;
    std::vector<int64_t> shape;
  };
  const Want wants[] = {{"item_embedding.weight", {n, e}}, {"lstm.weight_ih_l0", {4 * h, e}},
                        {"lstm.weight_hh_l0", {4 * h, h}}, {"lstm.bias_ih_l0", {4 * h}},
                        {"lstm.bias_hh_l0", {4 * h}},      {"output.weight", {n, h}},
                        {"output.bias", {n}}};
  const float* data[7];
  for (int k = 0; k < 7; ++k) {
    absl::StatusOr<TensorView> t = file.Get(wants[k].name, DType::kF32, wants[k].shape);
    if (!t.ok()) return t.status();
    data[k] = t->f32().data();
  }
  std::unique_ptr<LstmScorer> scorer(new LstmScorer(static_cast<int32_t>(n), static_cast<int>(e),
                                                    static_cast<int>(h), static_cast<int>(dims[2])));
  scorer->Bind(data[0], data[1], data[2], data[3], data[4], data[5], data[6]);
  scorer->mapped_ = std::move(*dir);
  return scorer;
}

absl::Status LstmScorer::Save(const std::string& dir, ModelManifest base) const {
  base.model_type = std::string(kModelType);
  base.num_items = num_items_;
  base.dims = {{"embedding_dim", embedding_dim_}, {"hidden_dim", hidden_dim_}, {"max_len", max_len_}};
  const int64_t n = num_items_;
  const int64_t e = embedding_dim_;
  const int64_t h = hidden_dim_;
  SafetensorsWriter writer;
  writer.AddF32("item_embedding.weight", {n, e}, {item_embedding_.data(), static_cast<size_t>(n * e)});
  writer.AddF32("lstm.weight_ih_l0", {4 * h, e}, {weight_ih_.data(), static_cast<size_t>(4 * h * e)});
  writer.AddF32("lstm.weight_hh_l0", {4 * h, h}, {weight_hh_.data(), static_cast<size_t>(4 * h * h)});
  writer.AddF32("lstm.bias_ih_l0", {4 * h}, {bias_ih_.data(), static_cast<size_t>(4 * h)});
  writer.AddF32("lstm.bias_hh_l0", {4 * h}, {bias_hh_.data(), static_cast<size_t>(4 * h)});
  writer.AddF32("output.weight", {n, h}, {output_weight_.data(), static_cast<size_t>(n * h)});
  writer.AddF32("output.bias", {n}, {output_bias_.data(), static_cast<size_t>(n)});
  return ModelDir::Write(dir, std::move(base), writer);
}

LstmState LstmScorer::InitialState() const {
  LstmState s;
  s.h = Eigen::VectorXf::Zero(hidden_dim_);
  s.c = Eigen::VectorXf::Zero(hidden_dim_);
  return s;
}

void LstmScorer::ApplyGates(const Eigen::VectorXf& z, LstmState& state) const {
  const Eigen::Index h = hidden_dim_;
  // sigmoid(x) = (tanh(x / 2) + 1) / 2: Eigen vectorises tanh, not exp-based
  // logistic forms, and the identity is exact up to float rounding.
  const auto in = 0.5f * ((0.5f * z.segment(0, h).array()).tanh() + 1.0f);
  const auto forget = 0.5f * ((0.5f * z.segment(h, h).array()).tanh() + 1.0f);
  const auto cell = z.segment(2 * h, h).array().tanh();
  const auto out = 0.5f * ((0.5f * z.segment(3 * h, h).array()).tanh() + 1.0f);
  state.c.array() = forget * state.c.array() + in * cell;
  state.h.array() = out * state.c.array().tanh();
}

void LstmScorer::Step(LstmState& state, int32_t item) const {
  if (item < 0 || item >= num_items_) return;
  Eigen::VectorXf z = bias_;
  z.noalias() += weight_ih_ * item_embedding_.row(item).transpose();
  z.noalias() += weight_hh_ * state.h;
  ApplyGates(z, state);
}

std::unique_ptr<UserState> LstmScorer::Encode(const UserHistory& history) const {
  auto state = std::make_unique<LstmState>(InitialState());
  // Walk back to find where the window of the last max_len known items starts.
  size_t start = history.events.size();
  int taken = 0;
  while (start > 0 && taken < max_len_) {
    const int32_t item = history.events[start - 1].item;
    if (item >= 0 && item < num_items_) ++taken;
    --start;
  }
  std::vector<int32_t> window;
  window.reserve(static_cast<size_t>(taken));
  for (size_t i = start; i < history.events.size(); ++i) {
    const int32_t item = history.events[i].item;
    if (item >= 0 && item < num_items_) window.push_back(item);
  }
  if (window.empty()) return state;
  // Every step's input projection in one GEMM; only the recurrent part is
  // left per step. Buffers are allocated once per history, not per step.
  const auto steps = static_cast<Eigen::Index>(window.size());
  Eigen::MatrixXf embedded(embedding_dim_, steps);
  for (Eigen::Index t = 0; t < steps; ++t) {
    embedded.col(t) = item_embedding_.row(window[static_cast<size_t>(t)]).transpose();
  }
  Eigen::MatrixXf inputs(4 * hidden_dim_, steps);
  inputs.noalias() = weight_ih_ * embedded;
  Eigen::VectorXf z(4 * hidden_dim_);
  for (Eigen::Index t = 0; t < steps; ++t) {
    z = inputs.col(t) + bias_;
    z.noalias() += weight_hh_ * state->h;
    ApplyGates(z, *state);
  }
  return state;
}

std::unique_ptr<UserState> LstmScorer::Extend(const UserState& previous,
                                              const UserHistory& full_history,
                                              size_t appended) const {
  const std::span<const Event> events = full_history.events;
  int known = 0;
  for (const Event& e : events) known += (e.item >= 0 && e.item < num_items_) ? 1 : 0;
  if (appended > events.size() || known > max_len_) return Encode(full_history);
  auto state = std::make_unique<LstmState>(static_cast<const LstmState&>(previous));
  for (size_t i = events.size() - appended; i < events.size(); ++i) Step(*state, events[i].item);
  return state;
}

void LstmScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  const auto& s = static_cast<const LstmState&>(state);
  Eigen::Map<Eigen::VectorXf> scores(out.data(), num_items_);
  scores = output_bias_;
  scores.noalias() += output_weight_ * s.h;
}

void LstmScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                 std::span<float> out) const {
  const auto& s = static_cast<const LstmState&>(state);
  for (size_t i = 0; i < candidates.size(); ++i) {
    const int32_t item = candidates[i];
    out[i] = output_weight_.row(item).dot(s.h.transpose()) + output_bias_[item];
  }
}

LstmWeights LstmScorer::CopyWeights() const {
  LstmWeights w;
  w.item_embedding = item_embedding_;
  w.weight_ih = weight_ih_;
  w.weight_hh = weight_hh_;
  w.bias_ih = bias_ih_;
  w.bias_hh = bias_hh_;
  w.output_weight = output_weight_;
  w.output_bias = output_bias_;
  return w;
}

}  // namespace recd
