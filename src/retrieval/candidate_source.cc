#include "retrieval/candidate_source.h"

#include <algorithm>
#include <utility>

#include "models/content_scorer.h"
#include "models/knn_scorer.h"
#include "models/markov_scorer.h"
#include "models/pop_scorer.h"
#include "models/sparse_scores.h"

namespace recd {
namespace {

// Appends the positions (or ids[position]) of the n largest scores, best
// first. Selects with nth_element over (score, position) pairs, so a
// catalog-sized input costs one linear pass plus a sort of the n kept.
void AppendTop(std::span<const float> scores, int n, std::vector<int32_t>& out,
               std::span<const int32_t> ids = {}) {
  // Reused per thread: a catalog-sized buffer per request would be an mmap
  // and a page fault per page.
  thread_local std::vector<std::pair<float, int32_t>> ranked;
  ranked.clear();
  for (size_t i = 0; i < scores.size(); ++i) ranked.emplace_back(scores[i], static_cast<int32_t>(i));
  const size_t k = std::min(static_cast<size_t>(std::max(n, 0)), ranked.size());
  // Higher score first; ties by lower position, so answers are deterministic.
  auto better = [](const std::pair<float, int32_t>& a, const std::pair<float, int32_t>& b) {
    return a.first > b.first || (a.first == b.first && a.second < b.second);
  };
  if (k < ranked.size()) {
    std::nth_element(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), ranked.end(), better);
  }
  std::sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(k), better);
  for (size_t i = 0; i < k; ++i) out.push_back(ids.empty() ? ranked[i].second : ids[ranked[i].second]);
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

// Content: the cosine over the profile's selective tokens only (see
// ContentScorer::TopItemsBySelectiveTokens). A token on more than 2% of
// the catalog (at least 1000 items) counts as broad.
class ContentSource final : public CandidateSource {
 public:
  explicit ContentSource(const ContentScorer& content)
      : content_(content), max_postings_(std::max<int32_t>(1000, content.num_items() / 50)) {}
  void Retrieve(const UserState& state, int n, std::vector<int32_t>& out) const override {
    const std::vector<int32_t> top = content_.TopItemsBySelectiveTokens(state, n, max_postings_);
    out.insert(out.end(), top.begin(), top.end());
  }

 private:
  const ContentScorer& content_;
  int32_t max_postings_;
};

// Any other model: score the whole catalog and keep the top. Linear in the
// catalog; models with an index (ANN over embeddings) replace it.
class ExactTopSource final : public CandidateSource {
 public:
  explicit ExactTopSource(const Scorer& scorer) : scorer_(scorer) {}
  void Retrieve(const UserState& state, int n, std::vector<int32_t>& out) const override {
    thread_local std::vector<float> scores;
    scores.resize(static_cast<size_t>(scorer_.num_items()));
    scorer_.ScoreAll(state, scores);
    AppendTop(scores, n, out);
  }

 private:
  const Scorer& scorer_;
};

}  // namespace

std::unique_ptr<CandidateSource> MakeExactCandidateSource(const Scorer& scorer) {
  if (const auto* pop = dynamic_cast<const PopScorer*>(&scorer)) return std::make_unique<PopularSource>(*pop);
  if (const auto* content = dynamic_cast<const ContentScorer*>(&scorer)) {
    return std::make_unique<ContentSource>(*content);
  }
  if (dynamic_cast<const KnnScorer*>(&scorer) != nullptr || dynamic_cast<const MarkovScorer*>(&scorer) != nullptr) {
    return std::make_unique<SparseNeighbourSource>();
  }
  return std::make_unique<ExactTopSource>(scorer);
}

}  // namespace recd
