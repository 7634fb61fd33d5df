#include "train/lstm_trainer.h"

#include <omp.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <optional>
#include <random>
#include <span>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"
#include "train/lstm_adam.h"
#include "train/lstm_backprop.h"
#include "train/lstm_validation.h"
#include "train/negative_sampler.h"
#include "train/sparse_lstm_grad.h"

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

void ClipGradient(SparseLstmGrad& g, float clip_norm) {
  if (clip_norm <= 0.0f) return;
  const double norm = std::sqrt(g.SquaredNorm());
  if (norm > clip_norm) g.Scale(static_cast<float>(clip_norm / norm));
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
  if (o.sampled_negatives < 0 || !(o.sampling_power >= 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("lstm options: sampled_negatives and sampling_power must be >= 0 (got ",
                     o.sampled_negatives, ", ", o.sampling_power, ")"));
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

// How often each item is a training target (any position after the first):
// the popularity the negative sampler draws from.
std::vector<int64_t> TargetCounts(const std::vector<std::vector<int32_t>>& sequences,
                                  int32_t num_items) {
  std::vector<int64_t> counts(static_cast<size_t>(num_items), 0);
  for (const auto& seq : sequences) {
    for (size_t t = 1; t < seq.size(); ++t) ++counts[static_cast<size_t>(seq[t])];
  }
  return counts;
}

using ShardBatch = std::vector<std::span<const int32_t>>;

// One optimisation step per batch. Data parallelism: the batch is split into
// one shard per thread, each thread runs forward and backward on its shard
// with single-threaded Eigen, and the shard gradients are summed once per
// batch. One synchronisation per batch instead of one per GEMM keeps
// throughput up when other processes share the cores.
//
// Full softmax keeps dense gradients and dense Adam; sampled softmax keeps
// sparse row gradients and lazy Adam, so that none of its per-step work
// (buffers, sums, clipping, updates) scales with the catalog.
// Not thread-safe.
class ShardedStep {
 public:
  ShardedStep(const LstmWeights& weights, const LstmTrainOptions& o,
              const std::vector<std::vector<int32_t>>& sequences, std::mt19937_64* rng)
      : options_(o),
        backprop_(static_cast<size_t>(std::max(1, omp_get_max_threads()))),
        shard_loss_(backprop_.size()),
        adam_(weights, o) {
    const int32_t items = weights.num_items();
    if (o.sampled_negatives == 0) {
      grad_ = LstmWeights::Zeros(items, o.embedding_dim, o.hidden_dim);
      for (size_t s = 0; s < backprop_.size(); ++s) {
        shard_grad_.push_back(LstmWeights::Zeros(items, o.embedding_dim, o.hidden_dim));
      }
      return;
    }
    sampler_.emplace(TargetCounts(sequences, items), o.sampling_power, o.sampled_negatives);
    negative_rng_.seed((*rng)());
    shard_sparse_grad_.resize(backprop_.size());
    rows_.Resize(items);
  }

  int shards() const { return static_cast<int>(backprop_.size()); }

  // Trains on one batch (`shard_batch[s]` for thread s, dropout seeded by
  // `seeds[s]`); adds loss times positions to *loss_sum and returns the
  // batch's positions.
  int64_t Run(std::span<const ShardBatch> shard_batch, std::span<const uint64_t> seeds,
              LstmWeights& weights, double* loss_sum) {
    return sampler_ ? RunSampled(shard_batch, seeds, weights, loss_sum)
                    : RunFull(shard_batch, seeds, weights, loss_sum);
  }

 private:
  // Each shard's gradient is of its own mean loss; weighting by positions
  // gives the gradient of the batch mean. Adds to *loss_sum.
  std::vector<float> ShardWeights(int64_t batch_positions, double* loss_sum) const {
    std::vector<float> weight(backprop_.size());
    for (size_t s = 0; s < backprop_.size(); ++s) {
      const int64_t p = backprop_[s].positions();
      *loss_sum += shard_loss_[s] * static_cast<double>(p);
      weight[s] = static_cast<float>(p) / static_cast<float>(batch_positions);
    }
    return weight;
  }

  int64_t BatchPositions() const {
    int64_t positions = 0;
    for (const LstmBackprop& bp : backprop_) positions += bp.positions();
    return positions;
  }

  int64_t RunFull(std::span<const ShardBatch> shard_batch, std::span<const uint64_t> seeds,
                  LstmWeights& weights, double* loss_sum) {
    const LstmBackprop::Dropout dropout{options_.embedding_dropout, options_.hidden_dropout};
    const int shards = this->shards();
#pragma omp parallel for num_threads(shards) schedule(static, 1)
    for (int s = 0; s < shards; ++s) {
      const auto i = static_cast<size_t>(s);
      std::mt19937_64 shard_rng(seeds[i]);
      shard_loss_[i] =
          backprop_[i].Compute(weights, shard_batch[i], dropout, &shard_rng, &shard_grad_[i]);
    }
    const int64_t batch_positions = BatchPositions();
    if (batch_positions == 0) return 0;
    const std::vector<float> weight = ShardWeights(batch_positions, loss_sum);
    auto dst = FlatTensors(grad_);
    for (size_t s = 0; s < backprop_.size(); ++s) {
      auto src = FlatTensors(shard_grad_[s]);
      for (size_t t = 0; t < dst.size(); ++t) {
        if (s == 0) {
          dst[t] = weight[s] * src[t];
        } else {
          dst[t] += weight[s] * src[t];
        }
      }
    }
    ClipGradient(grad_, options_.clip_norm);
    adam_.Update(weights, grad_);
    return batch_positions;
  }

  int64_t RunSampled(std::span<const ShardBatch> shard_batch, std::span<const uint64_t> seeds,
                     LstmWeights& weights, double* loss_sum) {
    const LstmBackprop::Dropout dropout{options_.embedding_dropout, options_.hidden_dropout};
    // One draw per batch, shared by the shards: fewer distinct output rows
    // to sum and update than a draw per shard, for the same softmax cost.
    sampler_->Sample(&negative_rng_, &negatives_);
    const int shards = this->shards();
#pragma omp parallel for num_threads(shards) schedule(static, 1)
    for (int s = 0; s < shards; ++s) {
      const auto i = static_cast<size_t>(s);
      std::mt19937_64 shard_rng(seeds[i]);
      shard_loss_[i] = backprop_[i].ComputeSampled(weights, shard_batch[i], negatives_,
                                                   sampler_->log_expected_count(), dropout,
                                                   &shard_rng, &shard_sparse_grad_[i]);
    }
    const int64_t batch_positions = BatchPositions();
    if (batch_positions == 0) return 0;
    const std::vector<float> weight = ShardWeights(batch_positions, loss_sum);
    SumSparseGrads(shard_sparse_grad_, weight, &rows_, &sparse_grad_);
    ClipGradient(sparse_grad_, options_.clip_norm);
    adam_.Update(weights, sparse_grad_);
    return batch_positions;
  }

  const LstmTrainOptions& options_;
  std::vector<LstmBackprop> backprop_;  // one per shard
  std::vector<double> shard_loss_;
  LstmAdam adam_;
  // Full softmax.
  std::vector<LstmWeights> shard_grad_;
  LstmWeights grad_;
  // Sampled softmax.
  std::optional<NegativeSampler> sampler_;
  std::mt19937_64 negative_rng_;
  NegativeSample negatives_;
  std::vector<SparseLstmGrad> shard_sparse_grad_;
  SparseLstmGrad sparse_grad_;
  ItemRowIndex rows_;
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
  ShardedStep step(weights, options, sequences, &rng);
  const auto shards = static_cast<size_t>(step.shards());
  std::vector<ShardBatch> shard_batch(shards);
  std::vector<uint64_t> shard_seed(shards);

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
    // Finished before validation, so the epoch's log line follows the bar.
    const std::unique_ptr<ProgressReporter> bar = StartProgress(
        options.progress, absl::StrCat("lstm epoch ", epoch, "/", options.epochs), static_cast<int64_t>(order.size()));
    for (size_t b = 0; b < order.size(); b += static_cast<size_t>(options.batch_size)) {
      const size_t end = std::min(order.size(), b + static_cast<size_t>(options.batch_size));
      for (auto& sb : shard_batch) sb.clear();
      for (size_t i = b; i < end; ++i) {
        shard_batch[(i - b) % shards].emplace_back(sequences[order[i]]);
      }
      for (uint64_t& seed : shard_seed) seed = rng();
      positions += step.Run(shard_batch, shard_seed, weights, &loss_sum);
      bar->Add(static_cast<int64_t>(end - b));
    }
    bar->Finish();
    absl::StatusOr<std::unique_ptr<LstmScorer>> scorer = LstmScorer::Create(weights, options.max_len);
    if (!scorer.ok()) return scorer.status();
    LstmEpochReport report;
    report.epoch = epoch;
    report.loss = loss_sum / static_cast<double>(std::max<int64_t>(positions, 1));
    const Clock::time_point validation_start = Clock::now();
    // Sampled mode is the large-catalog mode, where per-user scoring is slow;
    // full softmax keeps EvaluateScorer so that its kept epoch cannot move by
    // a rounding difference.
    report.validation =
        options.sampled_negatives > 0
            ? ValidateLstm(**scorer, split_for_validation, options.validation_users)
            : EvaluateScorer(**scorer, split_for_validation, EvalTarget::kValidation,
                             options.validation_users);
    const Clock::time_point epoch_end = Clock::now();
    report.seconds = std::chrono::duration<double>(epoch_end - epoch_start).count();
    report.improved = report.validation.ndcg10 > best_ndcg;
    spdlog::info(
        "lstm epoch {} loss {:.4f} val HR@10 {:.4f} NDCG@10 {:.4f} ({} users) {:.1f}s "
        "(validation {:.1f}s){}",
        epoch, report.loss, report.validation.hr10, report.validation.ndcg10,
        report.validation.users, report.seconds,
        std::chrono::duration<double>(epoch_end - validation_start).count(),
        report.improved ? " *" : "");
    if (progress) progress(report);
    if (report.improved) best_ndcg = report.validation.ndcg10;
    if (options.fixed_epochs) {
      // Validation only reports here: it neither stops nor chooses.
      if (epoch == options.epochs) best = *std::move(scorer);
      continue;
    }
    if (report.improved) {
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
