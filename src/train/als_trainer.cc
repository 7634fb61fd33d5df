#include "train/als_trainer.h"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// Below this many rows a sweep is faster on one thread than the cost of
// waking (and, on a busy machine, waiting for) the others.
constexpr int64_t kMinRowsForThreads = 512;

// Rows of a sparse matrix of confidences (compressed sparse rows).
struct SparseRows {
  std::vector<int64_t> begin;  // size rows + 1
  std::vector<Observation> cells;

  int64_t rows() const { return static_cast<int64_t>(begin.size()) - 1; }
  std::span<const Observation> Row(int64_t r) const {
    return {cells.data() + begin[r], static_cast<size_t>(begin[r + 1] - begin[r])};
  }
};

absl::Status ValidateOptions(const AlsOptions& o) {
  if (o.factors <= 0) return absl::InvalidArgumentError("als: factors must be > 0");
  if (!(o.regularization > 0.0f)) {
    return absl::InvalidArgumentError("als: regularization must be > 0");
  }
  if (!(o.alpha >= 0.0f)) return absl::InvalidArgumentError("als: alpha must be >= 0");
  if (o.iterations < 0) return absl::InvalidArgumentError("als: iterations must be >= 0");
  if (o.solver == AlsSolver::kConjugateGradient && o.cg_steps <= 0) {
    return absl::InvalidArgumentError("als: cg_steps must be > 0");
  }
  if (!(o.init_scale > 0.0f)) return absl::InvalidArgumentError("als: init_scale must be > 0");
  if (!(o.recency_decay > 0.0f && o.recency_decay <= 1.0f)) {
    return absl::InvalidArgumentError("als: recency_decay must be in (0, 1]");
  }
  if (o.threads < 0) return absl::InvalidArgumentError("als: threads must be >= 0");
  return absl::OkStatus();
}

SparseRows UserRows(const Dataset& data, const AlsOptions& o) {
  SparseRows m;
  m.begin.reserve(data.histories.size() + 1);
  m.begin.push_back(0);
  for (const auto& h : data.histories) {
    std::vector<Observation> row =
        AggregateConfidences(h, o.fold_in(), data.num_items());
    m.cells.insert(m.cells.end(), row.begin(), row.end());
    m.begin.push_back(static_cast<int64_t>(m.cells.size()));
  }
  return m;
}

SparseRows Transpose(const SparseRows& m, int64_t cols) {
  SparseRows t;
  t.begin.assign(static_cast<size_t>(cols) + 1, 0);
  for (const Observation& o : m.cells) ++t.begin[o.index + 1];
  for (int64_t c = 0; c < cols; ++c) t.begin[c + 1] += t.begin[c];
  t.cells.resize(m.cells.size());
  std::vector<int64_t> next(t.begin.begin(), t.begin.end() - 1);
  for (int64_t r = 0; r < m.rows(); ++r) {
    for (const Observation& o : m.Row(r)) {
      t.cells[next[o.index]++] = {static_cast<int32_t>(r), o.confidence};
    }
  }
  return t;
}

// Re-solves every row of `factors` against the fixed `other` side.
void SolveSide(const RowMatrixXf& other, const SparseRows& rows, const AlsOptions& o,
               AlsSolver solver, int threads, RowMatrixXf* factors) {
  const Eigen::MatrixXf gram = other.transpose() * other;
  const ConstRowMatrixMap y(other.data(), other.rows(), other.cols());
#pragma omp parallel num_threads(threads) if (rows.rows() >= kMinRowsForThreads)
  {
    Eigen::VectorXf x(o.factors);
#pragma omp for schedule(dynamic, 64)
    for (int64_t r = 0; r < rows.rows(); ++r) {
      const std::span<const Observation> row = rows.Row(r);
      if (row.empty()) {
        // With nothing observed the objective is minimised by the zero vector.
        factors->row(r).setZero();
        continue;
      }
      x = factors->row(r).transpose();
      if (solver == AlsSolver::kCholesky) {
        SolveRowCholesky(gram, o.regularization, y, row, x);
      } else {
        SolveRowConjugateGradient(gram, o.regularization, y, row, o.cg_steps, x);
      }
      factors->row(r) = x.transpose();
    }
  }
}

// The full objective over all cells, divided by the number of observed cells:
// sum_all (x_u.y_i)^2 is sum_u x_u^T (Y^T Y) x_u, then observed cells swap
// their s^2 for c (1 - s)^2. The per-user terms are added in user order, not
// by an OpenMP reduction (whose order is unspecified), so the reported loss
// is the same on every run with the same seed.
double Loss(const RowMatrixXf& x, const RowMatrixXf& y, const SparseRows& users, float reg,
            int threads) {
  const Eigen::MatrixXf gram = y.transpose() * y;
  std::vector<double> per_user(static_cast<size_t>(users.rows()));
#pragma omp parallel for schedule(dynamic, 256) num_threads(threads) \
    if (users.rows() >= kMinRowsForThreads)
  for (int64_t u = 0; u < users.rows(); ++u) {
    const auto xu = x.row(u);
    double l = static_cast<double>(xu * gram * xu.transpose());
    for (const Observation& o : users.Row(u)) {
      const double s = xu.dot(y.row(o.index));
      l += o.confidence * (1.0 - s) * (1.0 - s) - s * s;
    }
    per_user[static_cast<size_t>(u)] = l;
  }
  double total = 0;
  for (double l : per_user) total += l;
  total += reg * (static_cast<double>(x.squaredNorm()) + static_cast<double>(y.squaredNorm()));
  return total / static_cast<double>(std::max<size_t>(users.cells.size(), 1));
}

}  // namespace

absl::StatusOr<AlsModel> TrainAls(const Dataset& train_view, const AlsOptions& options,
                                  const LeaveOneOutSplit* validation) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const int64_t num_users = train_view.num_users();
  const int64_t num_items = train_view.num_items();
  if (num_users == 0 || num_items == 0 ||
      static_cast<int64_t>(train_view.histories.size()) != num_users) {
    return absl::InvalidArgumentError(absl::StrCat("als: dataset has ", num_users, " users, ",
                                                   num_items, " items and ",
                                                   train_view.histories.size(), " histories"));
  }
  for (int64_t u = 0; u < num_users; ++u) {
    for (const Event& e : train_view.histories[u]) {
      if (e.item < 0 || e.item >= num_items) {
        return absl::InvalidArgumentError(absl::StrCat("als: user ", u, " has item ", e.item,
                                                       " outside [0, ", num_items, ")"));
      }
    }
  }
  if (validation != nullptr && static_cast<int64_t>(validation->valid.size()) != num_users) {
    return absl::InvalidArgumentError("als: validation split has another number of users");
  }
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const SparseRows users = UserRows(train_view, options);
  const SparseRows items = Transpose(users, num_items);

  AlsModel model;
  model.fold_in = options.fold_in();
  const int f = options.factors;
  model.user_factors = RowMatrixXf::Zero(num_users, f);
  model.item_factors.resize(num_items, f);
  std::mt19937_64 rng(options.seed);
  std::normal_distribution<float> normal(0.0f, options.init_scale / std::sqrt(float(f)));
  for (Eigen::Index i = 0; i < model.item_factors.size(); ++i) {
    model.item_factors.data()[i] = normal(rng);
  }
  spdlog::info("als: {} users, {} items, {} observed cells, F={} reg={} alpha={} decay={} {}",
               num_users, num_items, users.cells.size(), f, options.regularization,
               options.alpha, options.recency_decay,
               options.solver == AlsSolver::kCholesky
                   ? std::string("cholesky")
                   : absl::StrCat("cg x", options.cg_steps));

  RowMatrixXf best_items;
  double best_ndcg = -1;
  int evaluations_since_best = 0;
  for (int it = 1; it <= options.iterations; ++it) {
    const auto start = std::chrono::steady_clock::now();
    SolveSide(model.item_factors, users, options, options.solver, threads, &model.user_factors);
    SolveSide(model.user_factors, items, options, options.solver, threads, &model.item_factors);
    AlsIterationStats stats;
    stats.iteration = it;
    stats.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    stats.loss = Loss(model.user_factors, model.item_factors, users, options.regularization,
                      threads);
    const bool evaluate = validation != nullptr && options.validate_every > 0 &&
                          (it % options.validate_every == 0 || it == options.iterations);
    if (evaluate) {
      auto scorer = MfScorer::Create(model.item_factors, model.fold_in);
      if (!scorer.ok()) return scorer.status();
      stats.validation = EvaluateScorer(**scorer, *validation, EvalTarget::kValidation,
                                        options.validation_max_users);
      spdlog::info("als iteration {}/{}: loss {:.5f} ({:.2f}s) valid {}", it, options.iterations,
                   stats.loss, stats.seconds, stats.validation->ToString());
      if (stats.validation->ndcg10 > best_ndcg) {
        best_ndcg = stats.validation->ndcg10;
        best_items = model.item_factors;
        model.best_iteration = it;
        evaluations_since_best = 0;
      } else {
        ++evaluations_since_best;
      }
    } else {
      spdlog::info("als iteration {}/{}: loss {:.5f} ({:.2f}s)", it, options.iterations,
                   stats.loss, stats.seconds);
    }
    model.iterations.push_back(std::move(stats));
    if (options.early_stopping_patience > 0 &&
        evaluations_since_best >= options.early_stopping_patience) {
      spdlog::info("als: validation NDCG@10 stalled for {} evaluations, stopping",
                   evaluations_since_best);
      break;
    }
  }
  if (best_items.size() > 0) {
    model.item_factors = std::move(best_items);
  } else {
    model.best_iteration = static_cast<int>(model.iterations.size());
  }
  // Re-solve the users against the kept item factors, so user_factors are
  // what fold-in gives (exactly with Cholesky; CG gets extra steps, as an
  // exact pass would cost O(F^3) per user).
  AlsOptions final_pass = options;
  final_pass.cg_steps = std::max(2 * options.cg_steps, 6);
  SolveSide(model.item_factors, users, final_pass, options.solver, threads, &model.user_factors);
  return model;
}

}  // namespace recd
