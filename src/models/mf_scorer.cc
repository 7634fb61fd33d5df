#include "models/mf_scorer.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include <Eigen/Cholesky>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace recd {
namespace {

constexpr char kModelType[] = "mf";
constexpr char kItemFactors[] = "item_factors";
constexpr char kUserFactors[] = "user_factors";

// %.9g round-trips every float exactly.
std::string FloatParam(float v) { return absl::StrFormat("%.9g", v); }

absl::Status ParseFloatParam(const ModelManifest& m, const std::string& dir,
                             const std::string& key, float* out) {
  auto it = m.params.find(key);
  if (it == m.params.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, "/manifest.json: mf model lacks param \"", key, "\""));
  }
  if (!absl::SimpleAtof(it->second, out)) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/manifest.json: param \"", key,
                                                   "\" is not a number: \"", it->second, "\""));
  }
  return absl::OkStatus();
}

absl::Status ValidateFoldIn(const MfFoldIn& f) {
  if (!(f.alpha >= 0.0f) || !std::isfinite(f.alpha)) {
    return absl::InvalidArgumentError(absl::StrCat("mf: alpha must be >= 0, got ", f.alpha));
  }
  if (!(f.regularization > 0.0f) || !std::isfinite(f.regularization)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mf: regularization must be > 0, got ", f.regularization));
  }
  if (!(f.recency_decay > 0.0f && f.recency_decay <= 1.0f)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mf: recency_decay must be in (0, 1], got ", f.recency_decay));
  }
  return absl::OkStatus();
}

}  // namespace

void MfScorer::Init(const float* item_data, Eigen::Index num_items, Eigen::Index factors) {
  item_data_ = item_data;
  num_items_ = num_items;
  factors_ = factors;
  // Every fold-in needs Y^T Y; it depends only on the model, so it is paid once here.
  const ConstRowMatrixMap y = item_factors();
  gram_.noalias() = y.transpose() * y;
  // Inverted in double: float loses digits when reg is small next to Y^T Y.
  Eigen::MatrixXd base = gram_.cast<double>();
  base.diagonal().array() += fold_in_.regularization;
  base_inv_ = base.llt().solve(Eigen::MatrixXd::Identity(factors, factors)).cast<float>();
  // Norms once at load, so a cosine at request time is one dot product.
  inverse_norms_.resize(static_cast<size_t>(num_items));
  for (Eigen::Index i = 0; i < num_items; ++i) {
    const float norm = y.row(i).norm();
    inverse_norms_[static_cast<size_t>(i)] = norm > 0 ? 1.0f / norm : 0.0f;
  }
  moments_ = EmbeddingMoments::Of(*embeddings());
}

float MfScorer::ItemSimilarity(int32_t a, int32_t b) const {
  if (a < 0 || b < 0 || a >= num_items_ || b >= num_items_) return 0;
  const ConstRowMatrixMap y = item_factors();
  return y.row(a).dot(y.row(b)) * inverse_norms_[static_cast<size_t>(a)] * inverse_norms_[static_cast<size_t>(b)];
}

absl::StatusOr<std::unique_ptr<MfScorer>> MfScorer::Create(RowMatrixXf item_factors,
                                                           const MfFoldIn& fold_in,
                                                           RowMatrixXf user_factors) {
  if (item_factors.rows() == 0 || item_factors.cols() == 0) {
    return absl::InvalidArgumentError("mf: item factors are empty");
  }
  if (!item_factors.allFinite()) {
    return absl::InvalidArgumentError("mf: item factors contain NaN or Inf");
  }
  if (user_factors.size() > 0 && user_factors.cols() != item_factors.cols()) {
    return absl::InvalidArgumentError(absl::StrCat("mf: user factors have ", user_factors.cols(),
                                                   " columns, item factors ",
                                                   item_factors.cols()));
  }
  if (absl::Status s = ValidateFoldIn(fold_in); !s.ok()) return s;
  std::unique_ptr<MfScorer> scorer(new MfScorer());
  scorer->fold_in_ = fold_in;
  scorer->owned_item_factors_ = std::move(item_factors);
  scorer->user_factors_ = std::move(user_factors);
  const RowMatrixXf& y = scorer->owned_item_factors_;
  scorer->Init(y.data(), y.rows(), y.cols());
  return scorer;
}

absl::StatusOr<std::unique_ptr<MfScorer>> MfScorer::Load(const std::string& dir) {
  auto model_dir = ModelDir::Open(dir, kModelType);
  if (!model_dir.ok()) return model_dir.status();
  const ModelManifest& m = (*model_dir)->manifest();
  std::unique_ptr<MfScorer> scorer(new MfScorer());
  MfFoldIn& f = scorer->fold_in_;
  for (auto [key, out] : {std::pair{"alpha", &f.alpha}, {"regularization", &f.regularization},
                          {"weight_view", &f.event_weights.view},
                          {"weight_cart", &f.event_weights.cart},
                          {"weight_purchase", &f.event_weights.purchase},
                          {"recency_decay", &f.recency_decay}}) {
    if (absl::Status s = ParseFloatParam(m, dir, key, out); !s.ok()) return s;
  }
  if (absl::Status s = ValidateFoldIn(f); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(dir, ": ", s.message()));
  }
  auto factors_it = m.dims.find("factors");
  if (factors_it == m.dims.end() || factors_it->second <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, "/manifest.json: mf model needs a positive dims.factors"));
  }
  const int64_t num_factors = factors_it->second;
  if (m.num_items <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(dir, "/manifest.json: num_items must be > 0"));
  }
  auto items = (*model_dir)->tensors().Get(kItemFactors, DType::kF32, {m.num_items, num_factors});
  if (!items.ok()) return items.status();
  // ModelDir::Open has already rejected NaN/Inf in every tensor.
  const std::span<const float> y = items->f32();
  const auto& names = (*model_dir)->tensors().names();
  if (std::find(names.begin(), names.end(), kUserFactors) != names.end()) {
    auto users = (*model_dir)->tensors().Get(kUserFactors, DType::kF32, {-1, num_factors});
    if (!users.ok()) return users.status();
    scorer->user_factors_ = Eigen::Map<const RowMatrixXf>(users->f32().data(), users->shape[0],
                                                          num_factors);
  }
  scorer->model_dir_ = std::move(*model_dir);
  scorer->Init(y.data(), m.num_items, num_factors);
  return scorer;
}

absl::Status MfScorer::Save(const std::string& dir, ModelManifest base) const {
  base.model_type = kModelType;
  base.dims["factors"] = factors_;
  base.num_items = num_items_;
  base.params["alpha"] = FloatParam(fold_in_.alpha);
  base.params["regularization"] = FloatParam(fold_in_.regularization);
  base.params["weight_view"] = FloatParam(fold_in_.event_weights.view);
  base.params["weight_cart"] = FloatParam(fold_in_.event_weights.cart);
  base.params["weight_purchase"] = FloatParam(fold_in_.event_weights.purchase);
  base.params["recency_decay"] = FloatParam(fold_in_.recency_decay);
  SafetensorsWriter tensors;
  tensors.AddF32(kItemFactors, {num_items_, factors_},
                 std::span<const float>(item_data_, static_cast<size_t>(num_items_ * factors_)));
  if (user_factors_.rows() > 0) {
    tensors.AddF32(kUserFactors, {user_factors_.rows(), factors_},
                   std::span<const float>(user_factors_.data(),
                                          static_cast<size_t>(user_factors_.size())));
  }
  return ModelDir::Write(dir, std::move(base), tensors);
}

Eigen::VectorXf MfScorer::FoldIn(std::span<const Event> events) const {
  Eigen::VectorXf x = Eigen::VectorXf::Zero(factors_);
  const std::vector<Observation> obs =
      AggregateConfidences(events, fold_in_, num_items());
  if (obs.empty()) return x;
  // Observations whose confidence is 1 to float precision (old events,
  // their recency decayed away) add nothing to A below, only y_i to b, so
  // they stay out of the Woodbury system; without this split one such
  // event sent every long history to the F x F solve.
  std::vector<Observation> weighted;
  const ConstRowMatrixMap y = item_factors();
  Eigen::VectorXf flat_b = Eigen::VectorXf::Zero(factors_);
  for (const Observation& o : obs) {
    if (o.confidence > 1.0f + 1e-6f) {
      weighted.push_back(o);
    } else {
      flat_b += o.confidence * y.row(o.index).transpose();
    }
  }
  const Eigen::Index h = static_cast<Eigen::Index>(weighted.size());
  // Woodbury pays off while the h x h system is smaller than the F x F one.
  if (2 * h > factors_) {
    SolveRowCholesky(gram_, fold_in_.regularization, y, obs, x);
    return x;
  }
  // A = B + U^T D U with B = Y^T Y + reg I, U = the weighted items' rows,
  // D = diag(c - 1); b = U^T c + flat_b. With P = B^-1 and W = U P:
  //   x = P b - W^T (D^-1 + W U^T)^-1 U P b, and P b = W^T c + P flat_b.
  RowMatrixXf u(h, factors_);
  Eigen::VectorXf c(h);
  for (Eigen::Index k = 0; k < h; ++k) {
    u.row(k) = y.row(weighted[static_cast<size_t>(k)].index);
    c[k] = weighted[static_cast<size_t>(k)].confidence;
  }
  const RowMatrixXf w = u * base_inv_;
  Eigen::VectorXf pb = w.transpose() * c;
  pb.noalias() += base_inv_ * flat_b;
  if (h == 0) return pb;
  Eigen::MatrixXf k = w * u.transpose();
  k.diagonal().array() += (c.array() - 1.0f).inverse();
  const Eigen::VectorXf s = k.llt().solve(u * pb);
  x = pb - w.transpose() * s;
  return x;
}

std::unique_ptr<UserState> MfScorer::Encode(const UserHistory& history) const {
  return std::make_unique<State>(FoldIn(history.events));
}

void MfScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  const auto& x = static_cast<const State&>(state).factor;
  Eigen::Map<Eigen::VectorXf>(out.data(), num_items_).noalias() = item_factors() * x;
}

void MfScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                               std::span<float> out) const {
  const auto& x = static_cast<const State&>(state).factor;
  const ConstRowMatrixMap y = item_factors();
  for (size_t i = 0; i < candidates.size(); ++i) out[i] = y.row(candidates[i]).dot(x);
}

}  // namespace recd
