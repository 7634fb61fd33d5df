#ifndef RECD_MODELS_CONTENT_SCORER_H_
#define RECD_MODELS_CONTENT_SCORER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "models/catalog_moments.h"
#include "models/sparse_matrix.h"
#include "recd/model_dir.h"
#include "recd/scorer.h"

namespace recd {

// How a user's profile is formed from their history. Saved with the model.
struct ContentScoring {
  // How many of the most recent events form the profile; 0 = all.
  int32_t history_items = 0;
  // The event `a` steps before the last one weighs recency_decay^a.
  float recency_decay = 0.7f;
  // Each event is also weighted by its type (purchase > cart > view).
  EventWeights event_weights;
  // Weight of the popularity prior (max-normalised training counts, in
  // [0, 1]). Many items share a token set and so a cosine; a small prior
  // orders them. Items never interacted with have prior 0 and still score
  // their cosine.
  float prior_weight = 1e-3f;
};

// Content-based scoring: every catalog item (with or without interactions)
// is an L2-normalised TF-IDF vector over catalog tokens (attributes, category
// prefixes, brand, price bucket, title words). A user's profile is the
// recency- and event-weighted mean of their items' vectors; an item's score
// is cosine(profile, item). Items are stored CSR (item x token) for
// candidate scoring and also token x item, built at construction, so scoring
// the whole catalog touches only the postings of the profile's tokens.
// Immutable; thread-safe for concurrent const calls.
class ContentScorer final : public Scorer {
 public:
  static constexpr std::string_view kName = "content";

  // REQUIRES: item_vectors is compressed with rows L2-normalised (or empty),
  // item_vectors.cols() == tokens.size(), prior.size() == item_vectors.rows().
  ContentScorer(SparseRowMatrix item_vectors, std::vector<std::string> tokens,
                std::vector<float> prior, ContentScoring scoring);

  // Reads a model directory written by Save(); checks type, shapes and CSR
  // structure.
  static absl::StatusOr<std::unique_ptr<ContentScorer>> Load(const std::string& model_dir);
  // Writes the model under `dir`; `base` carries data hash, metrics, etc.
  absl::Status Save(const std::string& dir, ModelManifest base) const override;

  std::string_view name() const override { return kName; }
  int32_t num_items() const override { return static_cast<int32_t>(item_vectors_.rows()); }
  std::unique_ptr<UserState> Encode(const UserHistory& history) const override { return EncodeWith(history, nullptr); }
  void ScoreAll(const UserState& state, std::span<float> out) const override;
  void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                       std::span<float> out) const override;
  // From per-token sums and the token Gram matrix kept at load (once per
  // state, then kept with it).
  std::optional<ScoreMoments> CatalogMoments(const UserState& state) const override;

  // For candidate retrieval on large catalogs: about the n items of highest
  // cosine, counting only the profile's tokens shared by at most
  // max_postings items, best first. Broad tokens (a top-level category, a
  // price bucket) add a little to a large share of the catalog and decide
  // little; skipping them touches thousands of postings instead of the
  // whole catalog. Items sharing only broad tokens are not nominated. The
  // n returned are the best by the full score of 4n taken by the sums.
  std::vector<int32_t> TopItemsBySelectiveTokens(const UserState& state, int n, int32_t max_postings) const;
  // Nominates TopItemsBySelectiveTokens with tokens on more than 2% of the
  // catalog (at least 1000 items) counted as broad.
  bool nominates_directly() const override { return true; }
  void Nominate(const UserState& state, int n, std::vector<int32_t>& out) const override;

  // New items as rows over this model's vocabulary (tokens it never saw
  // dropped), weighted as the content builder's defaults weigh them: the
  // bundle keeps neither the builder's field weights nor its idf power.
  // Their nearest trained items are those of highest cosine.
  std::optional<NewItemsView> ViewNewItems(std::span<const ItemInfo> items) const override;

  // A copy with other scoring settings, for tuning without rebuilding.
  std::unique_ptr<ContentScorer> WithScoring(const ContentScoring& scoring) const;

  const SparseRowMatrix& item_vectors() const { return item_vectors_; }
  // Token strings by column, e.g. "attr:17", "brand:nivea", "cat:Beauty>Skin".
  const std::vector<std::string>& tokens() const { return tokens_; }
  // Column of `token`, or -1.
  int32_t TokenId(std::string_view token) const;
  std::span<const float> prior() const { return prior_; }
  const ContentScoring& scoring() const { return scoring_; }

 private:
  // Encode, reading events on items from num_items() on from `new_rows`
  // (row item - num_items(); null: such events count nothing).
  std::unique_ptr<UserState> EncodeWith(const UserHistory& history, const SparseRowMatrix* new_rows) const;

  SparseRowMatrix item_vectors_;  // item x token
  SparseRowMatrix token_items_;   // token x item, the inverted index
  std::vector<std::string> tokens_;
  std::vector<float> prior_;
  ContentScoring scoring_;
  // For CatalogMoments: the prior's sums; per token, the sum of its item
  // weights and their dot product with the prior; and X'X over tokens.
  DenseSums prior_sums_;
  SparseRowMatrix token_gram_;
  std::vector<double> token_sums_;
  std::vector<double> token_prior_dots_;
};

}  // namespace recd

#endif  // RECD_MODELS_CONTENT_SCORER_H_
