#ifndef RECD_MODELS_MARKOV_SCORER_H_
#define RECD_MODELS_MARKOV_SCORER_H_

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

// How the user's most recent items are combined at scoring time. Saved with
// the model.
struct MarkovScoring {
  // How many of the most recent events form the user state; 0 = all.
  int32_t history_items = 3;
  // The event `a` steps before the last one weighs recency_decay^a.
  float recency_decay = 0.3f;
  // Weight of the popularity prior (max-normalised counts, in [0, 1]) added
  // to every item. Small: it only orders items no transition reaches, which
  // would otherwise all tie (and ties count against the target).
  float prior_weight = 1e-3f;
};

// First-order Markov chain over items: row i of `transitions` is
// P(next item | current item i), estimated from consecutive (and optionally
// skip-1/skip-2) events of training histories. A user's score for item j is
// sum over their last few items h of recency_weight(h) * P(j | h), plus a
// small popularity prior. Immutable; thread-safe for concurrent const calls.
class MarkovScorer final : public Scorer {
 public:
  static constexpr std::string_view kName = "markov";

  // REQUIRES: transitions is square and compressed, prior.size() == rows.
  MarkovScorer(SparseRowMatrix transitions, std::vector<float> prior, MarkovScoring scoring);

  // Reads a model directory written by Save(); checks type, shapes and CSR
  // structure.
  static absl::StatusOr<std::unique_ptr<MarkovScorer>> Load(const std::string& model_dir);
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

  // The k most likely next items after `item`, best first (empty for an
  // unknown item). For the candidate-generation stage.
  std::vector<ItemScore> TopNeighbours(int32_t item, int32_t k) const;

  // A copy with other scoring settings, for tuning without rebuilding.
  std::unique_ptr<MarkovScorer> WithScoring(const MarkovScoring& scoring) const;

  std::optional<RecentItemsWeighting> recent_items_weighting() const override { return Weighting(); }
  // The scoring settings in the form the shared item-item helpers take.
  RecentItemsWeighting Weighting() const;

  const SparseRowMatrix& transitions() const { return transitions_; }
  std::span<const float> prior() const { return prior_; }
  const MarkovScoring& scoring() const { return scoring_; }

 private:

  SparseRowMatrix transitions_;
  std::vector<float> prior_;
  DenseSums prior_sums_;
  MarkovScoring scoring_;
};

}  // namespace recd

#endif  // RECD_MODELS_MARKOV_SCORER_H_
