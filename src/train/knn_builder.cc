#include "train/knn_builder.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <vector>

#include "train/train_inputs.h"

namespace recd {
namespace {

struct Occurrence {
  int32_t user;
  int32_t position;
};

absl::Status CheckOptions(const KnnBuilderOptions& o) {
  if (o.top_k <= 0) return absl::InvalidArgumentError("knn top_k must be positive");
  if (o.alpha < 0 || o.alpha > 1) return absl::InvalidArgumentError("knn alpha must be in [0, 1]");
  if (o.shrinkage < 0 || o.window < 0 || o.distance_decay < 0 || o.backward_weight < 0) {
    return absl::InvalidArgumentError("knn shrinkage, window, decays must not be negative");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<KnnScorer>> BuildKnn(const Dataset& train_view,
                                                   const KnnBuilderOptions& options) {
  if (absl::Status s = CheckTrainingData(train_view); !s.ok()) return s;
  if (absl::Status s = CheckOptions(options); !s.ok()) return s;
  const int32_t n = train_view.num_items();
  const auto& histories = train_view.histories;

  std::vector<std::vector<Occurrence>> postings(static_cast<size_t>(n));
  std::vector<float> user_weight(histories.size(), 1.0f);
  std::vector<double> norm(static_cast<size_t>(n), 0.0);
  size_t longest = 0;
  for (size_t u = 0; u < histories.size(); ++u) {
    const auto& h = histories[u];
    longest = std::max(longest, h.size());
    if (options.inverse_user_frequency && !h.empty()) {
      user_weight[u] = static_cast<float>(1.0 / std::log(1.0 + static_cast<double>(h.size())));
    }
    for (size_t p = 0; p < h.size(); ++p) {
      postings[static_cast<size_t>(h[p].item)].push_back(
          {static_cast<int32_t>(u), static_cast<int32_t>(p)});
      norm[static_cast<size_t>(h[p].item)] += user_weight[u];
    }
  }
  std::vector<float> distance_weight(longest + 1, 1.0f);  // [d] = decay^(d - 1)
  for (size_t d = 2; d <= longest; ++d) {
    distance_weight[d] = distance_weight[d - 1] * options.distance_decay;
  }

  std::vector<std::vector<ItemScore>> rows(static_cast<size_t>(n));
#pragma omp parallel
  {
    std::vector<double> co(static_cast<size_t>(n), 0.0);
    std::vector<char> seen(static_cast<size_t>(n), 0);
    std::vector<int32_t> touched;
    std::vector<ItemScore> sims;
#pragma omp for schedule(dynamic, 64)
    for (int32_t i = 0; i < n; ++i) {
      touched.clear();
      for (const Occurrence& o : postings[static_cast<size_t>(i)]) {
        const auto& h = histories[static_cast<size_t>(o.user)];
        const int32_t len = static_cast<int32_t>(h.size());
        const int32_t lo = options.window > 0 ? std::max(0, o.position - options.window) : 0;
        const int32_t hi = options.window > 0 ? std::min(len - 1, o.position + options.window)
                                              : len - 1;
        for (int32_t q = lo; q <= hi; ++q) {
          const int32_t j = h[static_cast<size_t>(q)].item;
          if (j == i) continue;
          const float direction = q > o.position ? 1.0f : options.backward_weight;
          const double w = static_cast<double>(user_weight[static_cast<size_t>(o.user)]) *
                           distance_weight[static_cast<size_t>(std::abs(q - o.position))] *
                           direction;
          if (!seen[static_cast<size_t>(j)]) {
            seen[static_cast<size_t>(j)] = 1;
            touched.push_back(j);
          }
          co[static_cast<size_t>(j)] += w;
        }
      }
      sims.clear();
      const double norm_i = std::pow(norm[static_cast<size_t>(i)], options.alpha);
      for (int32_t j : touched) {
        const double denom =
            norm_i * std::pow(norm[static_cast<size_t>(j)], 1.0 - options.alpha) +
            options.shrinkage;
        const double s = co[static_cast<size_t>(j)] / denom;
        if (s > 0) sims.push_back({j, static_cast<float>(s)});
        co[static_cast<size_t>(j)] = 0.0;
        seen[static_cast<size_t>(j)] = 0;
      }
      const size_t keep = std::min(sims.size(), static_cast<size_t>(options.top_k));
      std::partial_sort(sims.begin(), sims.begin() + static_cast<std::ptrdiff_t>(keep),
                        sims.end(), [](const ItemScore& a, const ItemScore& b) {
                          return a.score > b.score || (a.score == b.score && a.item < b.item);
                        });
      sims.resize(keep);
      std::sort(sims.begin(), sims.end(),
                [](const ItemScore& a, const ItemScore& b) { return a.item < b.item; });
      rows[static_cast<size_t>(i)] = sims;
    }
  }

  SparseRowMatrix similarities(n, n);
  int64_t nnz = 0;
  for (const auto& r : rows) nnz += static_cast<int64_t>(r.size());
  similarities.reserve(nnz);
  for (int32_t i = 0; i < n; ++i) {
    similarities.startVec(i);
    for (const ItemScore& e : rows[static_cast<size_t>(i)]) {
      similarities.insertBack(i, e.item) = e.score;
    }
  }
  similarities.finalize();
  similarities.makeCompressed();
  return std::make_unique<KnnScorer>(std::move(similarities), PopularityPrior(train_view),
                                     options.scoring);
}

}  // namespace recd
