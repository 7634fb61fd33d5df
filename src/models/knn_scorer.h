#ifndef RECD_MODELS_KNN_SCORER_H_
#define RECD_MODELS_KNN_SCORER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "models/item_item_model.h"
#include "models/sparse_matrix.h"
#include "models/catalog_moments.h"
#include "models/sparse_scores.h"
#include "recd/model_dir.h"
#include "recd/scorer.h"

namespace recd {

// How a user's history is turned into scores. Saved with the model.
struct KnnScoring {
  // How many of the most recent events count; 0 = all.
  int32_t history_items = 0;
  // The event `a` steps before the last one weighs recency_decay^a: what a
  // shopper just looked at says most about what they want next.
  float recency_decay = 0.7f;
  // Each event is also weighted by its type (purchase > cart > view).
  EventWeights event_weights;
  // Weight of the popularity prior (max-normalised counts, in [0, 1]); small,
  // it only orders items that no history item has as a neighbour.
  float prior_weight = 1e-3f;
};

// Item-based collaborative filtering: row i of `similarities` holds the top-K
// neighbours of item i (cosine over user co-occurrence, possibly asymmetric
// and weighted by distance in the sequence). A user's score for item j is
// sum over history items h of weight(h) * sim(h, j), plus a small popularity
// prior. Immutable; thread-safe for concurrent const calls.
class KnnScorer final : public Scorer {
 public:
  static constexpr std::string_view kName = "knn";

  // REQUIRES: similarities is square and compressed, prior.size() == rows.
  KnnScorer(SparseRowMatrix similarities, std::vector<float> prior, KnnScoring scoring);

  // Reads a model directory written by Save(); checks type, shapes and CSR
  // structure.
  static absl::StatusOr<std::unique_ptr<KnnScorer>> Load(const std::string& model_dir);
  // Writes the model under `dir`; `base` carries data hash, metrics, etc.
  absl::Status Save(const std::string& dir, ModelManifest base) const override;

  std::string_view name() const override { return kName; }
  int32_t num_items() const override { return static_cast<int32_t>(prior_.size()); }
  std::unique_ptr<UserState> Encode(const UserHistory& history) const override;
  void ScoreAll(const UserState& state, std::span<float> out) const override;
  void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                       std::span<float> out) const override;
  // O(the user's sparse vector), from the prior's sums.
  std::optional<ScoreMoments> CatalogMoments(const UserState& state) const override;
  // Nominates the top of the user's sparse vector (SparseScores::AppendTop).
  bool nominates_directly() const override { return true; }
  void Nominate(const UserState& state, int n, std::vector<int32_t>& out) const override {
    static_cast<const SparseScores&>(state).AppendTop(n, out);
  }

  // The k most similar items to `item`, best first (empty for an unknown
  // item). For the candidate-generation stage.
  std::vector<ItemScore> TopNeighbours(int32_t item, int32_t k) const;
  // Explanations: the learned similarity of two items.
  bool has_item_similarity() const override { return true; }
  float ItemSimilarity(int32_t a, int32_t b) const override;

  // A copy with other scoring settings, for tuning without rebuilding.
  std::unique_ptr<KnnScorer> WithScoring(const KnnScoring& scoring) const;

  std::optional<RecentItemsWeighting> recent_items_weighting() const override { return Weighting(); }
  // The scoring settings in the form the shared item-item helpers take.
  RecentItemsWeighting Weighting() const;

  const SparseRowMatrix& similarities() const { return similarities_; }
  std::span<const float> prior() const { return prior_; }
  const KnnScoring& scoring() const { return scoring_; }

 private:

  SparseRowMatrix similarities_;
  std::vector<float> prior_;
  DenseSums prior_sums_;
  KnnScoring scoring_;
};

}  // namespace recd

#endif  // RECD_MODELS_KNN_SCORER_H_
