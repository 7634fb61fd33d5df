#include "train/fusion_tuner.h"

#include <Eigen/Core>
#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "fusion/fusion_layer.h"
#include "recd/evaluator.h"
#include "recd/ranking_metrics.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

struct ValidationSet {
  std::vector<int32_t> users;
  std::vector<int32_t> targets;
  std::vector<std::vector<int32_t>> history_items;
  std::vector<Matrix> raw;  // [model] -> users x items
};

ValidationSet ScoreValidationUsers(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                   int64_t max_users) {
  ValidationSet v;
  v.users = UsersWithTarget(split, EvalTarget::kValidation, max_users);
  for (int32_t u : v.users) v.targets.push_back(split.valid[static_cast<size_t>(u)].item);
  const auto n_users = static_cast<Eigen::Index>(v.users.size());
  v.history_items.resize(v.users.size());
  for (size_t i = 0; i < v.users.size(); ++i) {
    for (const Event& e : split.train[static_cast<size_t>(v.users[i])]) v.history_items[i].push_back(e.item);
  }
  for (const auto& scorer : bundle.scorers()) {
    Matrix m(n_users, bundle.num_items());
#pragma omp parallel for schedule(dynamic, 32)
    for (Eigen::Index i = 0; i < n_users; ++i) {
      const auto& history = split.train[static_cast<size_t>(v.users[static_cast<size_t>(i)])];
      auto state = scorer->Encode(UserHistory{history, v.users[static_cast<size_t>(i)]});
      scorer->ScoreAll(*state, std::span<float>(m.row(i).data(), static_cast<size_t>(m.cols())));
    }
    v.raw.push_back(std::move(m));
  }
  return v;
}

void NormalizeRows(Normalization method, const Matrix& raw, Matrix& out) {
  out.resize(raw.rows(), raw.cols());
  const size_t cols = static_cast<size_t>(raw.cols());
#pragma omp parallel for schedule(dynamic, 32)
  for (Eigen::Index i = 0; i < raw.rows(); ++i) {
    FusionLayer::Normalize(method, std::span<const float>(raw.row(i).data(), cols),
                           std::span<float>(out.row(i).data(), cols));
  }
}

// Mean NDCG@10 and HR@10 of the blend `weights` over the validation users.
// The per-user ranks are summed in user order after the parallel loop, not
// by an OpenMP reduction, whose order of adding the threads' partial sums is
// unspecified: the means are then the same bits on every run, so a near-tie
// between two weight settings cannot go one way in one run and the other way
// in the next.
std::pair<double, double> Evaluate(const ValidationSet& v, const std::vector<Matrix>& normalized,
                                   const std::vector<double>& weights) {
  const auto n_users = static_cast<Eigen::Index>(v.users.size());
  std::vector<int64_t> ranks(v.users.size());
#pragma omp parallel
  {
    Eigen::VectorXf fused(normalized[0].cols());
#pragma omp for schedule(static)
    for (Eigen::Index i = 0; i < n_users; ++i) {
      fused.setZero();
      for (size_t m = 0; m < normalized.size(); ++m) {
        if (weights[m] != 0) fused += static_cast<float>(weights[m]) * normalized[m].row(i).transpose();
      }
      ranks[static_cast<size_t>(i)] =
          RankOfTarget(std::span<const float>(fused.data(), static_cast<size_t>(fused.size())),
                       v.targets[static_cast<size_t>(i)], v.history_items[static_cast<size_t>(i)]);
    }
  }
  double ndcg = 0, hr = 0;
  for (int64_t rank : ranks) {
    ndcg += NdcgAt(rank, 10);
    hr += HitAt(rank, 10);
  }
  return {ndcg / static_cast<double>(n_users), hr / static_cast<double>(n_users)};
}

}  // namespace

absl::StatusOr<FusionTuningResult> TuneFusion(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                              const FusionTunerOptions& options) {
  if (bundle.scorers().empty()) return absl::FailedPreconditionError("fusion tuning: no models");
  const ValidationSet v = ScoreValidationUsers(bundle, split, options.max_users);
  if (v.users.empty()) return absl::FailedPreconditionError("fusion tuning: no validation targets");
  const size_t n_models = bundle.scorers().size();

  FusionTuningResult best;
  best.valid_ndcg10 = -1;
  std::vector<Matrix> normalized(n_models);
  for (Normalization norm : options.normalizations) {
    for (size_t m = 0; m < n_models; ++m) NormalizeRows(norm, v.raw[m], normalized[m]);
    // Start from the best single model, then let coordinate ascent add others.
    std::vector<double> weights(n_models, 0.0);
    double score = -1;
    for (size_t m = 0; m < n_models; ++m) {
      std::vector<double> single(n_models, 0.0);
      single[m] = 1.0;
      const double s = Evaluate(v, normalized, single).first;
      if (s > score) {
        score = s;
        weights = single;
      }
    }
    for (int round = 0; round < options.rounds; ++round) {
      bool improved = false;
      for (size_t m = 0; m < n_models; ++m) {
        for (double w : options.grid) {
          if (w == weights[m]) continue;
          std::vector<double> trial = weights;
          trial[m] = w;
          if (std::all_of(trial.begin(), trial.end(), [](double x) { return x == 0; })) continue;
          const double s = Evaluate(v, normalized, trial).first;
          if (s > score + 1e-6) {
            score = s;
            weights = trial;
            improved = true;
          }
        }
      }
      spdlog::info("fusion tuning ({}): round {} NDCG@10 {:.4f}", NormalizationName(norm), round + 1, score);
      if (!improved) break;
    }
    if (score > best.valid_ndcg10) {
      best.valid_ndcg10 = score;
      best.valid_hr10 = Evaluate(v, normalized, weights).second;
      best.config = FusionConfig{};
      best.config.normalization = norm;
      for (size_t m = 0; m < n_models; ++m) {
        best.config.weights[std::string(bundle.scorers()[m]->name())] = weights[m];
      }
    }
  }
  best.config.version = options.version;
  spdlog::info("fusion tuned on {} validation users: {} NDCG@10 {:.4f} HR@10 {:.4f}", v.users.size(),
               NormalizationName(best.config.normalization), best.valid_ndcg10, best.valid_hr10);
  return best;
}

}  // namespace recd
