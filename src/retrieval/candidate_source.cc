#include "retrieval/candidate_source.h"

#include <algorithm>

#include "models/content_scorer.h"
#include "models/knn_scorer.h"
#include "models/markov_scorer.h"
#include "models/pop_scorer.h"
#include "models/sparse_scores.h"

namespace recd {
namespace {

void AppendItems(const std::vector<ItemScore>& top, std::vector<int32_t>& out) {
  for (const ItemScore& s : top) out.push_back(s.item);
}

// Popularity is the same for every user: its ranking is computed at load.
class PopularSource final : public CandidateSource {
 public:
  explicit PopularSource(const PopScorer& pop) : pop_(pop) {}
  void Retrieve(const UserState&, int n, int, std::vector<int32_t>& out) const override {
    AppendItems(pop_.TopItems(n), out);
  }

 private:
  const PopScorer& pop_;
};

// Item-item models encode a user as the sparse sum of the rows of their
// recent items: its largest entries are the co-occurrence neighbours.
// The dense popularity prior is left to the popular source.
class SparseNeighbourSource final : public CandidateSource {
 public:
  void Retrieve(const UserState& state, int n, int, std::vector<int32_t>& out) const override {
    const auto& sparse = static_cast<const SparseScores&>(state);
    std::vector<ItemScore> entries(sparse.items().size());
    for (size_t i = 0; i < entries.size(); ++i) entries[i] = {sparse.items()[i], sparse.scores()[i]};
    AppendItems(TopItemScores(std::move(entries), n), out);
  }
};

// Content: the cosine over the profile's selective tokens only (see
// ContentScorer::TopItemsBySelectiveTokens). A token on more than 2% of
// the catalog (at least 1000 items) counts as broad.
class ContentSource final : public CandidateSource {
 public:
  explicit ContentSource(const ContentScorer& content)
      : content_(content), max_postings_(std::max<int32_t>(1000, content.num_items() / 50)) {}
  void Retrieve(const UserState& state, int n, int, std::vector<int32_t>& out) const override {
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
  void Retrieve(const UserState& state, int n, int, std::vector<int32_t>& out) const override {
    std::vector<float> scores(static_cast<size_t>(scorer_.num_items()));
    scorer_.ScoreAll(state, scores);
    AppendItems(TopOfVector(scores, n), out);
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
