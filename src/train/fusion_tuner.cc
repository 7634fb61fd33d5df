#include "train/fusion_tuner.h"

#include <Eigen/Core>
#include <algorithm>
#include <array>
#include <numeric>
#include <optional>
#include <random>
#include <span>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "fusion/fusion_layer.h"
#include "recd/evaluator.h"
#include "recd/ranking_metrics.h"
#include "retrieval/candidate_source.h"
#include "spdlog/spdlog.h"
#include "train/stacked_fusion.h"

namespace recd {
namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Per ranked column, a bit per model (bundle order) that nominated its item.
using NominationMask = uint64_t;
using MaskMatrix = Eigen::Matrix<NominationMask, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
constexpr size_t kMaxNominatingModels = 64;

struct ValidationSet {
  std::vector<int32_t> users;
  std::vector<int32_t> targets;                   // item ids; columns when by_candidates()
  std::vector<std::vector<int32_t>> history_items;  // item ids
  // [model] -> users x items; by_candidates(): users x columns, already on
  // zscore over the whole catalog.
  std::vector<Matrix> raw;
  // Empty: every item is ranked. Else users x columns: which models
  // nominated each column's item; a column that no weighted model nominated
  // (a history item, the target when missed, padding) is not ranked.
  MaskMatrix nominated_by;

  bool by_candidates() const { return nominated_by.size() > 0; }
};

// Which history each validation user is ranked from.
enum class QueryHistory {
  kTrain,     // the training history, as recommendations rank
  kLastItem,  // its last item alone, viewed, as SimilarItems ranks that item's neighbours
};

// The validation users with a target, their targets and the histories they
// are ranked from (`histories`, in the same order).
ValidationSet ValidationUsers(const LeaveOneOutSplit& split, int64_t max_users, QueryHistory query,
                              std::vector<std::vector<Event>>& histories) {
  ValidationSet v;
  for (int32_t u : UsersWithTarget(split, EvalTarget::kValidation, max_users)) {
    const std::vector<Event>& train = split.train[static_cast<size_t>(u)];
    if (query == QueryHistory::kLastItem) {
      // SimilarItems never returns the item asked about: a target repeating
      // it (a view, then its purchase) is not its to find.
      if (train.empty() || train.back().item == split.valid[static_cast<size_t>(u)].item) continue;
      histories.push_back({Event{train.back().item, EventType::kView, train.back().timestamp}});
    } else {
      histories.push_back(train);
    }
    v.users.push_back(u);
    v.targets.push_back(split.valid[static_cast<size_t>(u)].item);
    v.history_items.emplace_back();
    for (const Event& e : histories.back()) v.history_items.back().push_back(e.item);
  }
  return v;
}

// No user id for an item's neighbours, as the daemon encodes them.
UserHistory QueryOf(const ValidationSet& v, const std::vector<std::vector<Event>>& histories, size_t row,
                    QueryHistory query) {
  return UserHistory{histories[row], query == QueryHistory::kLastItem ? -1 : v.users[row]};
}

ValidationSet ScoreWholeCatalog(const ModelBundle& bundle, const LeaveOneOutSplit& split, int64_t max_users,
                                QueryHistory query) {
  std::vector<std::vector<Event>> histories;
  ValidationSet v = ValidationUsers(split, max_users, query, histories);
  const auto n_users = static_cast<Eigen::Index>(v.users.size());
  for (const auto& scorer : bundle.scorers()) {
    Matrix m(n_users, bundle.num_items());
#pragma omp parallel for schedule(dynamic, 32)
    for (Eigen::Index i = 0; i < n_users; ++i) {
      auto state = scorer->Encode(QueryOf(v, histories, static_cast<size_t>(i), query));
      scorer->ScoreAll(*state, std::span<float>(m.row(i).data(), static_cast<size_t>(m.cols())));
    }
    v.raw.push_back(std::move(m));
  }
  return v;
}

// One validation user ranked from candidates: the columns' items, which
// models nominated each, and each model's zscore of each.
struct CandidateRow {
  std::vector<int32_t> items;
  std::vector<NominationMask> nominated_by;
  std::vector<std::vector<float>> zscores;  // [model][column]
  int32_t target_column = -1;
};

CandidateRow ScoreCandidates(const ModelBundle& bundle, std::span<const std::unique_ptr<CandidateSource>> sources,
                             const UserHistory& history, int32_t target, int depth) {
  const size_t n_models = bundle.scorers().size();
  std::vector<std::unique_ptr<UserState>> states(n_models);
  absl::flat_hash_map<int32_t, NominationMask> nominated;
  std::vector<int32_t> retrieved;
  for (size_t m = 0; m < n_models; ++m) {
    states[m] = bundle.scorers()[m]->Encode(history);
    retrieved.clear();
    sources[m]->Retrieve(*states[m], depth, 0, retrieved);
    for (int32_t item : retrieved) nominated[item] |= NominationMask{1} << m;
  }
  // The daemon ranks the nominations less the history; the target keeps
  // its column (unranked unless nominated) even when it repeats one.
  for (const Event& e : history.events) {
    if (e.item != target) nominated.erase(e.item);
  }
  nominated.try_emplace(target, 0);
  CandidateRow row;
  for (const auto& [item, mask] : nominated) row.items.push_back(item);
  std::sort(row.items.begin(), row.items.end());
  for (int32_t item : row.items) row.nominated_by.push_back(nominated[item]);
  row.target_column = static_cast<int32_t>(std::lower_bound(row.items.begin(), row.items.end(), target) - row.items.begin());
  std::vector<float> raw(row.items.size()), whole;
  for (size_t m = 0; m < n_models; ++m) {
    const Scorer& scorer = *bundle.scorers()[m];
    std::vector<float>& z = row.zscores.emplace_back(row.items.size());
    if (const std::optional<ScoreMoments> moments = scorer.CatalogMoments(*states[m])) {
      scorer.ScoreCandidates(*states[m], row.items, raw);
      FusionLayer::Normalize(Normalization::kZScore, raw, z, moments);
    } else {  // the model cannot tell its moments: take them from a whole-catalog scan
      whole.resize(static_cast<size_t>(scorer.num_items()));
      scorer.ScoreAll(*states[m], whole);
      FusionLayer::Normalize(Normalization::kZScore, whole, whole);
      for (size_t c = 0; c < row.items.size(); ++c) z[c] = whole[static_cast<size_t>(row.items[c])];
    }
  }
  return row;
}

// The validation users ranked as the daemon ranks a catalog it serves from
// candidates (FusionTunerOptions::nominate_depth). Columns past a user's
// own are padding that no model nominated.
absl::StatusOr<ValidationSet> ScoreNominated(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                             const FusionTunerOptions& options, QueryHistory query) {
  const size_t n_models = bundle.scorers().size();
  if (n_models > kMaxNominatingModels) {
    return absl::FailedPreconditionError(
        absl::StrCat("fusion tuning from candidates: at most ", kMaxNominatingModels, " models, got ", n_models));
  }
  std::vector<std::unique_ptr<CandidateSource>> sources;
  for (const auto& scorer : bundle.scorers()) {
    auto source = MakeExactCandidateSource(*scorer);
    if (!source.ok()) return source.status();
    sources.push_back(*std::move(source));
  }
  std::vector<std::vector<Event>> histories;
  ValidationSet v = ValidationUsers(split, options.max_users, query, histories);
  std::vector<CandidateRow> rows(v.users.size());
  const auto n_users = static_cast<Eigen::Index>(v.users.size());
#pragma omp parallel for schedule(dynamic, 8)
  for (Eigen::Index i = 0; i < n_users; ++i) {
    const auto r = static_cast<size_t>(i);
    const int depth = std::min(std::max(options.nominate_depth, 10 + static_cast<int>(histories[r].size())),
                               bundle.num_items());
    rows[r] = ScoreCandidates(bundle, sources, QueryOf(v, histories, r, query), v.targets[r], depth);
  }
  size_t width = 0;
  for (const CandidateRow& row : rows) width = std::max(width, row.items.size());
  const auto cols = static_cast<Eigen::Index>(width);
  v.nominated_by = MaskMatrix::Zero(n_users, cols);
  v.raw.assign(n_models, Matrix::Zero(n_users, cols));
  for (size_t r = 0; r < rows.size(); ++r) {
    const auto i = static_cast<Eigen::Index>(r);
    for (size_t c = 0; c < rows[r].items.size(); ++c) {
      const auto col = static_cast<Eigen::Index>(c);
      v.nominated_by(i, col) = rows[r].nominated_by[c];
      for (size_t m = 0; m < n_models; ++m) v.raw[m](i, col) = rows[r].zscores[m][c];
    }
    v.targets[r] = rows[r].target_column;
  }
  return v;
}

absl::StatusOr<ValidationSet> ScoreValidationUsers(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                                   const FusionTunerOptions& options, QueryHistory query) {
  if (options.nominate_depth > 0) return ScoreNominated(bundle, split, options, query);
  return ScoreWholeCatalog(bundle, split, options.max_users, query);
}

// Model m's scores of the validation users on `method`'s scale. Scores
// ranked from candidates are on zscore already; nothing else is tried there.
void NormalizeRows(Normalization method, const ValidationSet& v, size_t m, Matrix& out) {
  const Matrix& raw = v.raw[m];
  if (v.by_candidates()) {
    out = raw;
    return;
  }
  out.resize(raw.rows(), raw.cols());
  const size_t cols = static_cast<size_t>(raw.cols());
#pragma omp parallel for schedule(dynamic, 32)
  for (Eigen::Index i = 0; i < raw.rows(); ++i) {
    FusionLayer::Normalize(method, std::span<const float>(raw.row(i).data(), cols),
                           std::span<float>(out.row(i).data(), cols));
  }
}

// Blend weights per validation user: users of bucket b get sets[b].
struct BlendWeights {
  std::vector<std::vector<double>> sets;
  std::vector<int> bucket;  // [validation user]; empty: sets[0] for everyone

  static BlendWeights Uniform(std::vector<double> weights) { return BlendWeights{{std::move(weights)}, {}}; }
  const std::vector<double>& For(size_t user) const {
    return bucket.empty() ? sets[0] : sets[static_cast<size_t>(bucket[user])];
  }
};

void Fuse(const std::vector<Matrix>& normalized, const std::vector<double>& weights, Eigen::Index user,
          Eigen::VectorXf& fused) {
  fused.setZero();
  for (size_t m = 0; m < normalized.size(); ++m) {
    if (weights[m] != 0) fused += static_cast<float>(weights[m]) * normalized[m].row(user).transpose();
  }
}

NominationMask WeightedModels(const std::vector<double>& weights) {
  NominationMask mask = 0;
  for (size_t m = 0; m < weights.size(); ++m) {
    if (weights[m] != 0) mask |= NominationMask{1} << m;
  }
  return mask;
}

// Whether validation user `user`'s column `column` is ranked under a blend
// of the models in `weighted`.
bool Ranked(const ValidationSet& v, Eigen::Index user, int32_t column, NominationMask weighted) {
  return !v.by_candidates() || (v.nominated_by(user, column) & weighted) != 0;
}

// The target's rank among the columns the weighted models nominated; past
// every column when none of them nominated it (the daemon cannot return it).
int64_t RankAmongNominated(const ValidationSet& v, std::span<const float> fused, Eigen::Index user,
                           NominationMask weighted) {
  const int32_t target = v.targets[static_cast<size_t>(user)];
  if (!Ranked(v, user, target, weighted)) return static_cast<int64_t>(fused.size());
  const float t = fused[static_cast<size_t>(target)];
  int64_t above = 0;
  for (size_t c = 0; c < fused.size(); ++c) {
    const auto column = static_cast<int32_t>(c);
    if (column != target && Ranked(v, user, column, weighted) && !(fused[c] < t)) ++above;
  }
  return above;
}

std::vector<size_t> AllUsers(const ValidationSet& v) {
  std::vector<size_t> users(v.users.size());
  std::iota(users.begin(), users.end(), size_t{0});
  return users;
}

struct Quality {
  double ndcg10 = 0;
  double hr10 = 0;
};

// Mean NDCG@10 and HR@10 of the blend over validation users `users`.
// The per-user ranks are summed in user order after the parallel loop, not
// by an OpenMP reduction, whose order of adding the threads' partial sums is
// unspecified: the means are then the same bits on every run, so a near-tie
// between two weight settings cannot go one way in one run and the other way
// in the next.
Quality Evaluate(const ValidationSet& v, const std::vector<Matrix>& normalized, const BlendWeights& weights,
                 std::span<const size_t> users) {
  const auto n_users = static_cast<Eigen::Index>(users.size());
  std::vector<int64_t> ranks(users.size());
#pragma omp parallel
  {
    Eigen::VectorXf fused(normalized[0].cols());
#pragma omp for schedule(static)
    for (Eigen::Index j = 0; j < n_users; ++j) {
      const size_t i = users[static_cast<size_t>(j)];
      const std::vector<double>& w = weights.For(i);
      Fuse(normalized, w, static_cast<Eigen::Index>(i), fused);
      const std::span<const float> scores(fused.data(), static_cast<size_t>(fused.size()));
      ranks[static_cast<size_t>(j)] =
          v.by_candidates() ? RankAmongNominated(v, scores, static_cast<Eigen::Index>(i), WeightedModels(w))
                            : RankOfTarget(scores, v.targets[i], v.history_items[i]);
    }
  }
  Quality q;
  for (int64_t rank : ranks) {
    q.ndcg10 += NdcgAt(rank, 10);
    q.hr10 += HitAt(rank, 10);
  }
  if (!ranks.empty()) {
    q.ndcg10 /= static_cast<double>(ranks.size());
    q.hr10 /= static_cast<double>(ranks.size());
  }
  return q;
}

struct SearchResult {
  std::vector<double> weights;
  double ndcg10 = -1;
};

// Coordinate ascent over per-model weights maximising NDCG@10 over
// validation users `users`, from the best single model.
SearchResult CoordinateSearch(const ValidationSet& v, const std::vector<Matrix>& normalized,
                              std::span<const size_t> users, const FusionTunerOptions& options,
                              const std::string& label) {
  const size_t n_models = normalized.size();
  auto ndcg = [&](const std::vector<double>& w) {
    return Evaluate(v, normalized, BlendWeights::Uniform(w), users).ndcg10;
  };
  SearchResult best;
  for (size_t m = 0; m < n_models; ++m) {
    std::vector<double> single(n_models, 0.0);
    single[m] = 1.0;
    const double s = ndcg(single);
    if (s > best.ndcg10) best = SearchResult{single, s};
  }
  for (int round = 0; round < options.rounds; ++round) {
    bool improved = false;
    for (size_t m = 0; m < n_models; ++m) {
      for (double w : options.grid) {
        if (w == best.weights[m]) continue;
        std::vector<double> trial = best.weights;
        trial[m] = w;
        if (std::all_of(trial.begin(), trial.end(), [](double x) { return x == 0; })) continue;
        const double s = ndcg(trial);
        if (s > best.ndcg10 + 1e-6) {
          best = SearchResult{std::move(trial), s};
          improved = true;
        }
      }
    }
    spdlog::info("fusion tuning ({}): round {} NDCG@10 {:.4f}", label, round + 1, best.ndcg10);
    if (!improved) break;
  }
  return best;
}

// Pairwise training rows for validation users `users`: per user, the
// target's features minus those of each negative (StackingLayout). A user
// with fewer negatives to draw leaves zero rows, which add a constant to the
// loss and nothing to the fit.
struct PairwiseData {
  Eigen::MatrixXd rows;
  Eigen::VectorXd offsets;  // the same differences under the base blend
};

PairwiseData PairwiseRows(const ValidationSet& v, const std::vector<Matrix>& normalized,
                          const std::vector<double>& weighted_sum, const StackingLayout& layout,
                          std::span<const int> bucket, std::span<const size_t> users,
                          const FusionTunerOptions& options) {
  const int per_user = options.hard_negatives + options.random_negatives;
  const Eigen::Index items = normalized[0].cols();
  const NominationMask ranked_models = WeightedModels(weighted_sum);
  PairwiseData data;
  data.rows = Eigen::MatrixXd::Zero(static_cast<Eigen::Index>(users.size()) * per_user, layout.features());
  data.offsets = Eigen::VectorXd::Zero(data.rows.rows());
  const auto n_users = static_cast<Eigen::Index>(users.size());
#pragma omp parallel
  {
    Eigen::VectorXf fused(items);
    std::vector<int32_t> order;
#pragma omp for schedule(dynamic, 16)
    for (Eigen::Index j = 0; j < n_users; ++j) {
      const size_t i = users[static_cast<size_t>(j)];
      const auto ui = static_cast<Eigen::Index>(i);
      const int32_t target = v.targets[i];
      // Columns from candidates hold no history: it is not ranked there.
      absl::flat_hash_set<int32_t> taken;
      if (!v.by_candidates()) taken.insert(v.history_items[i].begin(), v.history_items[i].end());
      taken.insert(target);
      std::vector<int32_t> negatives;
      // Hard: the weighted sum's best-ranked items the user did not pick.
      Fuse(normalized, weighted_sum, ui, fused);
      order.clear();
      for (int32_t c = 0; c < static_cast<int32_t>(items); ++c) {
        if (Ranked(v, ui, c, ranked_models)) order.push_back(c);
      }
      const auto depth = std::min<size_t>(order.size(), static_cast<size_t>(options.hard_negatives) + taken.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(depth), order.end(),
                        [&](int32_t a, int32_t b) { return fused[a] > fused[b] || (fused[a] == fused[b] && a < b); });
      for (size_t r = 0; r < depth && static_cast<int>(negatives.size()) < options.hard_negatives; ++r) {
        if (taken.insert(order[r]).second) negatives.push_back(order[r]);
      }
      // Random: uniform draws, a bounded number of tries.
      std::mt19937_64 rng(options.seed * 1000003 + static_cast<uint64_t>(v.users[i]));
      std::uniform_int_distribution<int32_t> draw(0, static_cast<int32_t>(items - 1));
      for (int tries = 0; tries < 4 * options.random_negatives &&
                          static_cast<int>(negatives.size()) < per_user; ++tries) {
        const int32_t item = draw(rng);
        if (Ranked(v, ui, item, ranked_models) && taken.insert(item).second) negatives.push_back(item);
      }
      const int b = bucket[i];
      for (size_t k = 0; k < negatives.size(); ++k) {
        const Eigen::Index row = j * per_user + static_cast<Eigen::Index>(k);
        for (int m = 0; m < layout.models; ++m) {
          const Matrix& scores = normalized[static_cast<size_t>(m)];
          const double d = static_cast<double>(scores(ui, target)) - scores(ui, negatives[k]);
          data.rows(row, layout.shared(m)) = d;
          data.rows(row, layout.in_bucket(m, b)) = d;
          data.offsets[row] += weighted_sum[static_cast<size_t>(m)] * d;
        }
      }
    }
  }
  return data;
}

// The stacked fit's weights per bucket; a bucket where no model came out
// positive keeps the weighted sum's.
BlendWeights StackedWeights(const StackingLayout& layout, const Eigen::VectorXd& theta,
                            const std::vector<double>& weighted_sum, std::vector<int> bucket) {
  BlendWeights w;
  w.bucket = std::move(bucket);
  for (int b = 0; b < layout.buckets; ++b) {
    std::vector<double> set = BucketWeights(layout, weighted_sum, theta, b);
    const bool any = std::any_of(set.begin(), set.end(), [](double x) { return x > 0; });
    w.sets.push_back(any ? std::move(set) : weighted_sum);
  }
  return w;
}

std::map<std::string, double> NamedWeights(const ModelBundle& bundle, const std::vector<double>& weights) {
  std::map<std::string, double> named;
  for (size_t m = 0; m < weights.size(); ++m) named[std::string(bundle.scorers()[m]->name())] = weights[m];
  return named;
}

// `named` in the bundle's model order; models it does not name weigh 0.
std::vector<double> WeightVector(const ModelBundle& bundle, const std::map<std::string, double>& named) {
  std::vector<double> weights;
  for (const auto& scorer : bundle.scorers()) {
    auto it = named.find(std::string(scorer->name()));
    weights.push_back(it == named.end() ? 0.0 : it->second);
  }
  return weights;
}

// The stacked fusion as the fusion layer serves it: one segment per bucket
// but the last, whose weights are the config's own.
FusionConfig StackedConfig(const ModelBundle& bundle, const BlendWeights& w, std::span<const int64_t> bounds,
                           Normalization normalization) {
  FusionConfig config;
  config.normalization = normalization;
  for (size_t b = 0; b < bounds.size(); ++b) {
    config.segments.push_back(
        FusionSegment{absl::StrCat("stacked-history-", bounds[b]), bounds[b], NamedWeights(bundle, w.sets[b])});
  }
  config.weights = NamedWeights(bundle, w.sets.back());
  return config;
}

struct StackingOutcome {
  StackingReport report;
  FusionConfig config;
  Quality in_sample;
};

// Fits the stacked fusion over the weighted sum's normalisation: picks the L2
// strength by two-fold cross-fitting over the validation users, then refits
// on all of them. Nothing when a half has no users.
std::optional<StackingOutcome> FitStacking(const ModelBundle& bundle, const ValidationSet& v, const std::vector<Matrix>& normalized,
                            const std::vector<double>& weighted_sum, Normalization normalization,
                            const FusionTunerOptions& options) {
  const StackingLayout layout{static_cast<int>(normalized.size()), static_cast<int>(options.history_buckets.size()) + 1};
  std::vector<int> bucket(v.users.size());
  for (size_t i = 0; i < v.users.size(); ++i) {
    bucket[i] = HistoryBucket(options.history_buckets, static_cast<int64_t>(v.history_items[i].size()));
  }
  std::array<std::vector<size_t>, 2> folds;
  // Folds by a draw seeded with the user, not by position: the order users
  // come in may follow their history length or signup time. (Not absl::Hash,
  // whose seed changes from process to process.)
  for (size_t i = 0; i < v.users.size(); ++i) {
    std::mt19937_64 fold_of(options.seed ^ (static_cast<uint64_t>(v.users[i]) << 1));
    folds[fold_of() % 2].push_back(i);
  }
  if (folds[0].empty() || folds[1].empty()) return std::nullopt;
  StackingOutcome out;
  // Each half gets the weighted sum searched on it alone, as the base its
  // correction is fitted to and as the rival it is compared with: both are
  // then scored on users neither has seen.
  std::array<std::vector<double>, 2> half_weights;
  std::array<PairwiseData, 2> half_rows;
  for (size_t f = 0; f < 2; ++f) {
    half_weights[f] = CoordinateSearch(v, normalized, folds[f], options, absl::StrCat("half ", f + 1)).weights;
    const Quality q = Evaluate(v, normalized, BlendWeights::Uniform(half_weights[f]), folds[1 - f]);
    const auto share = static_cast<double>(folds[1 - f].size()) / static_cast<double>(v.users.size());
    out.report.weighted_cross_fitted_ndcg10 += q.ndcg10 * share;
    out.report.weighted_cross_fitted_hr10 += q.hr10 * share;
    half_rows[f] = PairwiseRows(v, normalized, half_weights[f], layout, bucket, folds[f], options);
  }
  out.report.cross_fitted_ndcg10 = -1;
  for (double l2 : options.l2_grid) {
    Quality sum;
    for (size_t f = 0; f < 2; ++f) {
      const PairwiseData& d = half_rows[f];
      const Eigen::VectorXd theta = FitPairwiseLogistic(d.rows, d.offsets, l2 * static_cast<double>(d.rows.rows()));
      const Quality q =
          Evaluate(v, normalized, StackedWeights(layout, theta, half_weights[f], bucket), folds[1 - f]);
      const auto share = static_cast<double>(folds[1 - f].size()) / static_cast<double>(v.users.size());
      sum.ndcg10 += q.ndcg10 * share;
      sum.hr10 += q.hr10 * share;
    }
    spdlog::info("fusion stacking: l2 {} cross-fitted NDCG@10 {:.4f} HR@10 {:.4f}", l2, sum.ndcg10, sum.hr10);
    if (sum.ndcg10 > out.report.cross_fitted_ndcg10) {
      out.report.l2 = l2;
      out.report.cross_fitted_ndcg10 = sum.ndcg10;
      out.report.cross_fitted_hr10 = sum.hr10;
    }
  }
  const PairwiseData all = PairwiseRows(v, normalized, weighted_sum, layout, bucket, AllUsers(v), options);
  const Eigen::VectorXd theta =
      FitPairwiseLogistic(all.rows, all.offsets, out.report.l2 * static_cast<double>(all.rows.rows()));
  const BlendWeights w = StackedWeights(layout, theta, weighted_sum, bucket);
  out.in_sample = Evaluate(v, normalized, w, AllUsers(v));
  out.config = StackedConfig(bundle, w, options.history_buckets, normalization);
  return out;
}

// The weights (or stacked fusion) for a user's next item.
absl::StatusOr<FusionTuningResult> TuneNextItemFusion(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                                      const FusionTunerOptions& options) {
  auto scored = ScoreValidationUsers(bundle, split, options, QueryHistory::kTrain);
  if (!scored.ok()) return scored.status();
  const ValidationSet& v = *scored;
  if (v.users.empty()) return absl::FailedPreconditionError("fusion tuning: no validation targets");
  const size_t n_models = bundle.scorers().size();
  std::vector<Normalization> normalizations = options.normalizations;
  if (v.by_candidates()) std::erase_if(normalizations, [](Normalization n) { return n != Normalization::kZScore; });
  if (normalizations.empty()) {
    return absl::FailedPreconditionError(
        "fusion tuning from candidates: only zscore has a scale the candidate set does not move");
  }

  FusionTuningResult best;
  best.valid_ndcg10 = -1;
  std::vector<double> best_weights;
  std::vector<Matrix> normalized(n_models);
  for (Normalization norm : normalizations) {
    for (size_t m = 0; m < n_models; ++m) NormalizeRows(norm, v, m, normalized[m]);
    const SearchResult found = CoordinateSearch(v, normalized, AllUsers(v), options, NormalizationName(norm));
    if (found.ndcg10 > best.valid_ndcg10) {
      best.valid_ndcg10 = found.ndcg10;
      best.valid_hr10 = Evaluate(v, normalized, BlendWeights::Uniform(found.weights), AllUsers(v)).hr10;
      best.config = FusionConfig{};
      best.config.normalization = norm;
      best.config.weights = NamedWeights(bundle, found.weights);
      best_weights = found.weights;
    }
  }
  best.weighted_ndcg10 = best.valid_ndcg10;
  spdlog::info("fusion tuned on {} validation users: {} NDCG@10 {:.4f} HR@10 {:.4f}", v.users.size(),
               NormalizationName(best.config.normalization), best.valid_ndcg10, best.valid_hr10);
  const bool enough_users = static_cast<int64_t>(v.users.size()) >= options.stacking_min_users;
  if (options.stacking && n_models > 1 && !enough_users) {
    spdlog::info("fusion stacking: not tried, {} validation users (at least {})", v.users.size(),
                 options.stacking_min_users);
  } else if (options.stacking && n_models > 1) {
    for (size_t m = 0; m < n_models; ++m) NormalizeRows(best.config.normalization, v, m, normalized[m]);
    std::optional<StackingOutcome> stacked =
        FitStacking(bundle, v, normalized, best_weights, best.config.normalization, options);
    if (!stacked) {
      spdlog::info("fusion stacking: skipped, too few validation users ({}) for two halves", v.users.size());
    } else {
      StackingReport& report = stacked->report;
      report.kept = report.cross_fitted_ndcg10 > report.weighted_cross_fitted_ndcg10 * (1 + options.stacking_min_gain);
      spdlog::info("fusion stacking: cross-fitted NDCG@10 {:.4f} against the weighted sum's {:.4f}: {}",
                   report.cross_fitted_ndcg10, report.weighted_cross_fitted_ndcg10,
                   report.kept ? "kept" : "weighted sum kept");
      if (report.kept) {
        best.config = std::move(stacked->config);
        best.valid_ndcg10 = stacked->in_sample.ndcg10;
        best.valid_hr10 = stacked->in_sample.hr10;
      }
      best.stacking = report;
    }
  }
  return best;
}

// The "similar" profile: weights searched on the validation targets ranked
// from each user's last training item alone, on the normalisation the
// next-item fusion chose.
absl::StatusOr<SimilarProfileReport> TuneSimilarProfile(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                                        const FusionConfig& fusion, const FusionTunerOptions& options) {
  auto scored = ScoreValidationUsers(bundle, split, options, QueryHistory::kLastItem);
  if (!scored.ok()) return scored.status();
  const ValidationSet& v = *scored;
  SimilarProfileReport report;
  report.users = static_cast<int64_t>(v.users.size());
  if (v.users.empty()) return report;
  std::vector<Matrix> normalized(v.raw.size());
  for (size_t m = 0; m < v.raw.size(); ++m) NormalizeRows(fusion.normalization, v, m, normalized[m]);
  const std::vector<size_t> users = AllUsers(v);
  auto quality = [&](const std::vector<double>& w) {
    if (std::all_of(w.begin(), w.end(), [](double x) { return x <= 0; })) return Quality{};
    return Evaluate(v, normalized, BlendWeights::Uniform(w), users);
  };
  const SearchResult found = CoordinateSearch(v, normalized, users, options, "similar items");
  const Quality tuned = quality(found.weights);
  const Quality next_item = quality(WeightVector(bundle, fusion.WeightsFor(1)));
  report.weights = NamedWeights(bundle, found.weights);
  report.ndcg10 = tuned.ndcg10;
  report.hr10 = tuned.hr10;
  report.next_item_ndcg10 = next_item.ndcg10;
  report.next_item_hr10 = next_item.hr10;
  spdlog::info("similar items profile on {} validation users: NDCG@10 {:.4f} HR@10 {:.4f} (next-item weights "
               "{:.4f} / {:.4f})",
               report.users, tuned.ndcg10, tuned.hr10, next_item.ndcg10, next_item.hr10);
  return report;
}

}  // namespace

absl::StatusOr<FusionTuningResult> TuneFusion(const ModelBundle& bundle, const LeaveOneOutSplit& split,
                                              const FusionTunerOptions& options) {
  if (bundle.scorers().empty()) return absl::FailedPreconditionError("fusion tuning: no models");
  // One validation set at a time: each holds users x items x models scores.
  absl::StatusOr<FusionTuningResult> best = TuneNextItemFusion(bundle, split, options);
  if (!best.ok()) return best;
  if (options.similar_profile) {
    absl::StatusOr<SimilarProfileReport> tuned = TuneSimilarProfile(bundle, split, best->config, options);
    if (!tuned.ok()) return tuned.status();
    SimilarProfileReport& similar = *tuned;
    // Else SimilarItems keeps the next-item weights (no profile named).
    similar.kept = !similar.weights.empty() &&
                   similar.ndcg10 > similar.next_item_ndcg10 * (1 + options.similar_min_gain);
    if (similar.kept) {
      best->config.profiles["similar"] = similar.weights;
      best->config.similar_profile = "similar";
    }
    best->similar = std::move(similar);
  }
  best->config.version = options.version;
  return best;
}

}  // namespace recd
