#include "train/lstm_trainer.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "train/lstm_adam.h"
#include "train/lstm_backprop.h"

namespace recd {
namespace {

using Clock = std::chrono::steady_clock;

// PyTorch's nn.LSTM / nn.Linear initialisation (uniform in +-1/sqrt(H)),
// with small normal item embeddings: large ones saturate the gates early.
LstmWeights InitialWeights(int32_t num_items, const LstmTrainOptions& o, std::mt19937_64* rng) {
  LstmWeights w = LstmWeights::Zeros(num_items, o.embedding_dim, o.hidden_dim);
  std::normal_distribution<float> normal(0.0f, o.init_scale);
  const float bound = 1.0f / std::sqrt(static_cast<float>(o.hidden_dim));
  std::uniform_real_distribution<float> uniform(-bound, bound);
  auto flat = FlatTensors(w);
  for (Eigen::Index i = 0; i < flat[0].size(); ++i) flat[0][i] = normal(*rng);
  for (size_t t = 1; t < flat.size(); ++t) {
    for (Eigen::Index i = 0; i < flat[t].size(); ++i) flat[t][i] = uniform(*rng);
  }
  return w;
}

void ClipGradient(LstmWeights& g, float clip_norm) {
  if (clip_norm <= 0.0f) return;
  auto flat = FlatTensors(g);
  double sq = 0;
  for (const auto& t : flat) sq += static_cast<double>(t.matrix().squaredNorm());
  const double norm = std::sqrt(sq);
  if (norm <= clip_norm) return;
  const float scale = static_cast<float>(clip_norm / norm);
  for (auto& t : flat) t *= scale;
}

absl::Status CheckOptions(const LstmTrainOptions& o) {
  if (o.embedding_dim <= 0 || o.hidden_dim <= 0 || o.max_len <= 0 || o.epochs <= 0 ||
      o.batch_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "lstm options: embedding_dim, hidden_dim, max_len, epochs and batch_size must be positive"
        " (got ", o.embedding_dim, ", ", o.hidden_dim, ", ", o.max_len, ", ", o.epochs, ", ",
        o.batch_size, ")"));
  }
  if (o.embedding_dropout < 0 || o.embedding_dropout >= 1 || o.hidden_dropout < 0 ||
      o.hidden_dropout >= 1) {
    return absl::InvalidArgumentError("lstm options: dropout rates must be in [0, 1)");
  }
  if (!(o.learning_rate > 0)) {
    return absl::InvalidArgumentError("lstm options: learning_rate must be positive");
  }
  return absl::OkStatus();
}

// The last max_len + 1 known items of each user with at least two of them:
// max_len inputs, each predicting its successor.
std::vector<std::vector<int32_t>> TrainingSequences(const Dataset& data, int max_len) {
  std::vector<std::vector<int32_t>> sequences;
  for (const auto& history : data.histories) {
    std::vector<int32_t> items;
    for (const Event& e : history) {
      if (e.item >= 0 && e.item < data.num_items()) items.push_back(e.item);
    }
    if (items.size() < 2) continue;
    const size_t keep = std::min(items.size(), static_cast<size_t>(max_len) + 1);
    sequences.emplace_back(items.end() - static_cast<std::ptrdiff_t>(keep), items.end());
  }
  return sequences;
}

// Sets the OpenMP thread count for the lifetime of the object.
class ScopedThreads {
 public:
  explicit ScopedThreads(int threads) : previous_(omp_get_max_threads()) {
    if (threads > 0) omp_set_num_threads(threads);
  }
  ~ScopedThreads() { omp_set_num_threads(previous_); }

 private:
  int previous_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<LstmScorer>> TrainLstm(const Dataset& train_view,
                                                      const LeaveOneOutSplit& split_for_validation,
                                                      const LstmTrainOptions& options,
                                                      const LstmProgressCallback& progress) {
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  const int32_t num_items = train_view.num_items();
  if (num_items <= 0) return absl::InvalidArgumentError("lstm training: the dataset has no items");
  std::vector<std::vector<int32_t>> sequences = TrainingSequences(train_view, options.max_len);
  if (sequences.empty()) {
    return absl::InvalidArgumentError("lstm training: no user has two or more training items");
  }
  ScopedThreads threads(options.threads);
  std::mt19937_64 rng(options.seed);
  LstmWeights weights = InitialWeights(num_items, options, &rng);
  LstmWeights grad = LstmWeights::Zeros(num_items, options.embedding_dim, options.hidden_dim);
  LstmAdam adam(weights, options);
  // Data parallelism: each thread runs forward and backward on its own shard
  // of the batch with single-threaded Eigen, and the shard gradients are
  // summed once per batch. One synchronisation per batch instead of one per
  // GEMM keeps throughput up when other processes share the cores.
  const int shards = std::max(1, omp_get_max_threads());
  std::vector<LstmBackprop> backprop(static_cast<size_t>(shards));
  std::vector<LstmWeights> shard_grad;
  for (int s = 0; s < shards; ++s) {
    shard_grad.push_back(LstmWeights::Zeros(num_items, options.embedding_dim, options.hidden_dim));
  }
  std::vector<std::vector<std::span<const int32_t>>> shard_batch(static_cast<size_t>(shards));
  std::vector<double> shard_loss(static_cast<size_t>(shards));
  std::vector<uint64_t> shard_seed(static_cast<size_t>(shards));
  const LstmBackprop::Dropout dropout{options.embedding_dropout, options.hidden_dropout};

  std::vector<size_t> order(sequences.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::unique_ptr<LstmScorer> best;
  double best_ndcg = -1;
  int since_best = 0;
  const Clock::time_point start = Clock::now();
  for (int epoch = 1; epoch <= options.epochs; ++epoch) {
    const Clock::time_point epoch_start = Clock::now();
    std::shuffle(order.begin(), order.end(), rng);
    double loss_sum = 0;
    int64_t positions = 0;
    for (size_t b = 0; b < order.size(); b += static_cast<size_t>(options.batch_size)) {
      const size_t end = std::min(order.size(), b + static_cast<size_t>(options.batch_size));
      for (auto& sb : shard_batch) sb.clear();
      for (size_t i = b; i < end; ++i) {
        shard_batch[(i - b) % static_cast<size_t>(shards)].emplace_back(sequences[order[i]]);
      }
      for (uint64_t& seed : shard_seed) seed = rng();
#pragma omp parallel for num_threads(shards) schedule(static, 1)
      for (int s = 0; s < shards; ++s) {
        std::mt19937_64 shard_rng(shard_seed[static_cast<size_t>(s)]);
        shard_loss[static_cast<size_t>(s)] =
            backprop[static_cast<size_t>(s)].Compute(weights, shard_batch[static_cast<size_t>(s)],
                                                     dropout, &shard_rng, &shard_grad[static_cast<size_t>(s)]);
      }
      // Each shard's gradient is of its own mean loss; weight by positions
      // to get the gradient of the batch mean.
      int64_t batch_positions = 0;
      for (const LstmBackprop& bp : backprop) batch_positions += bp.positions();
      if (batch_positions == 0) continue;
      for (int s = 0; s < shards; ++s) {
        const int64_t p = backprop[static_cast<size_t>(s)].positions();
        loss_sum += shard_loss[static_cast<size_t>(s)] * static_cast<double>(p);
        const float weight = static_cast<float>(p) / static_cast<float>(batch_positions);
        auto dst = FlatTensors(grad);
        auto src = FlatTensors(shard_grad[static_cast<size_t>(s)]);
        for (size_t t = 0; t < dst.size(); ++t) {
          if (s == 0) {
            dst[t] = weight * src[t];
          } else {
            dst[t] += weight * src[t];
          }
        }
      }
      positions += batch_positions;
      ClipGradient(grad, options.clip_norm);
      adam.Update(weights, grad);
    }
    absl::StatusOr<std::unique_ptr<LstmScorer>> scorer = LstmScorer::Create(weights, options.max_len);
    if (!scorer.ok()) return scorer.status();
    LstmEpochReport report;
    report.epoch = epoch;
    report.loss = loss_sum / static_cast<double>(std::max<int64_t>(positions, 1));
    report.validation = EvaluateScorer(**scorer, split_for_validation, EvalTarget::kValidation,
                                       options.validation_users);
    report.seconds = std::chrono::duration<double>(Clock::now() - epoch_start).count();
    report.improved = report.validation.ndcg10 > best_ndcg;
    spdlog::info("lstm epoch {} loss {:.4f} val HR@10 {:.4f} NDCG@10 {:.4f} ({} users) {:.1f}s{}",
                 epoch, report.loss, report.validation.hr10, report.validation.ndcg10,
                 report.validation.users, report.seconds, report.improved ? " *" : "");
    if (progress) progress(report);
    if (report.improved) {
      best_ndcg = report.validation.ndcg10;
      best = *std::move(scorer);
      since_best = 0;
    } else if (++since_best >= options.patience) {
      break;
    }
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    // Epochs take about equally long, so the last one predicts the next.
    if (options.time_budget_seconds > 0 &&
        elapsed + report.seconds > options.time_budget_seconds) {
      spdlog::info("lstm training stops after {:.0f}s: another epoch would pass the {:.0f}s budget",
                   elapsed, options.time_budget_seconds);
      break;
    }
  }
  return best;
}

}  // namespace recd
