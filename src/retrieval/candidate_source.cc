#include "retrieval/candidate_source.h"

#include <algorithm>
#include <numeric>

#include "models/knn_scorer.h"
#include "models/markov_scorer.h"
#include "models/pop_scorer.h"
#include "models/sparse_scores.h"

namespace recd {
namespace {

// Appends the indices of the n largest scores, best first.
void AppendTop(std::span<const float> scores, int n, std::vector<int32_t>& out,
               std::span<const int32_t> ids = {}) {
  std::vector<int32_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  const auto k = static_cast<std::ptrdiff_t>(std::min<size_t>(static_cast<size_t>(std::max(n, 0)), order.size()));
  std::partial_sort(order.begin(), order.begin() + k, order.end(),
                    [&](int32_t a, int32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
  for (std::ptrdiff_t i = 0; i < k; ++i) out.push_back(ids.empty() ? order[i] : ids[order[i]]);
}

// Popularity is the same for every user: its ranking is computed at load.
class PopularSource final : public CandidateSource {
 public:
  explicit PopularSource(const PopScorer& pop) : pop_(pop) {}
  void Retrieve(const UserState&, int n, std::vector<int32_t>& out) const override {
    for (const ItemScore& s : pop_.TopItems(n)) out.push_back(s.item);
  }

 private:
  const PopScorer& pop_;
};

// Item-item models encode a user as the sparse sum of the rows of their
// recent items: its largest entries are the co-occurrence neighbours.
// The dense popularity prior is left to the popular source.
class SparseNeighbourSource final : public CandidateSource {
 public:
  void Retrieve(const UserState& state, int n, std::vector<int32_t>& out) const override {
    const auto& sparse = static_cast<const SparseScores&>(state);
    AppendTop(sparse.scores(), n, out, sparse.items());
  }
};

// Any other model: score the whole catalog and keep the top. Linear in the
// catalog; models with an index (ANN over embeddings) replace it.
class ExactTopSource final : public CandidateSource {
 public:
  explicit ExactTopSource(const Scorer& scorer) : scorer_(scorer) {}
  void Retrieve(const UserState& state, int n, std::vector<int32_t>& out) const override {
    std::vector<float> scores(static_cast<size_t>(scorer_.num_items()));
    scorer_.ScoreAll(state, scores);
    AppendTop(scores, n, out);
  }

 private:
  const Scorer& scorer_;
};

}  // namespace

std::unique_ptr<CandidateSource> MakeExactCandidateSource(const Scorer& scorer) {
  if (const auto* pop = dynamic_cast<const PopScorer*>(&scorer)) return std::make_unique<PopularSource>(*pop);
  if (dynamic_cast<const KnnScorer*>(&scorer) != nullptr || dynamic_cast<const MarkovScorer*>(&scorer) != nullptr) {
    return std::make_unique<SparseNeighbourSource>();
  }
  return std::make_unique<ExactTopSource>(scorer);
}

}  // namespace recd
