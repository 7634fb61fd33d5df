#ifndef RECD_MODELS_MF_SCORER_H_
#define RECD_MODELS_MF_SCORER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include <Eigen/Core>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "models/catalog_moments.h"
#include "models/implicit_solve.h"
#include "recd/dataset.h"
#include "recd/model_dir.h"
#include "recd/scorer.h"

namespace recd {

// Matrix-factorisation scorer: score(u, i) = x_u . y_i. Encode() folds the
// user in, solving x_u from their history against the fixed item factors
// with the training objective, so known users, new users and users with
// fresh events are all treated alike, and the daemon can re-encode after
// every event. Y^T Y and (Y^T Y + reg I)^-1 are computed once at
// construction; a history of h << F items is then folded in with the
// Woodbury identity in O(h F^2) (an h x h solve) instead of an F x F
// Cholesky, which keeps Encode() well under a millisecond at F = 256.
//
// Loaded models use the item factors in place in the loaded file's buffer (no copy).
// Thread-safe: immutable after Create()/Load().
class MfScorer : public Scorer {
 public:
  // The user factor returned by Encode().
  class State : public UserState {
   public:
    explicit State(Eigen::VectorXf f) : factor(std::move(f)) {}
    Eigen::VectorXf factor;
  };

  // Builds a scorer from in-memory factors (trainer output, tests).
  // `user_factors` is optional (0 rows): trained factors of training users,
  // saved for analysis; Encode() never needs them.
  // Errors: empty or non-finite item factors, user factors with another
  // width, negative alpha or non-positive regularization.
  static absl::StatusOr<std::unique_ptr<MfScorer>> Create(RowMatrixXf item_factors,
                                                          const MfFoldIn& fold_in,
                                                          RowMatrixXf user_factors = {});

  // Opens <dir> written by Save(): manifest model_type "mf", tensor
  // "item_factors" [num_items x F] F32, optional "user_factors" [U x F], and
  // params "alpha", "regularization", "weight_view|cart|purchase",
  // "recency_decay".
  static absl::StatusOr<std::unique_ptr<MfScorer>> Load(const std::string& dir);

  // Writes the model to <dir>. `base` supplies data hash, metrics and extra
  // params; model_type, dims, num_items and the fold-in params are set here.
  absl::Status Save(const std::string& dir, ModelManifest base) const override;

  std::string_view name() const override { return "mf"; }
  int32_t num_items() const override { return static_cast<int32_t>(num_items_); }
  int factors() const { return static_cast<int>(factors_); }
  const MfFoldIn& fold_in() const { return fold_in_; }

  // Folds the history in; items outside the model (>= num_items, < 0) are
  // ignored, so an empty or all-unknown history gives the zero factor.
  std::unique_ptr<UserState> Encode(const UserHistory& history) const override;
  void ScoreAll(const UserState& state, std::span<float> out) const override;
  void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                       std::span<float> out) const override;

  // Nominates by inner product: the item factors, queried by the user's.
  std::optional<ItemEmbeddings> embeddings() const override {
    return ItemEmbeddings{item_data_, num_items_, factors_, {}};
  }
  std::span<const float> EmbeddingQuery(const UserState& state) const override {
    const Eigen::VectorXf& f = static_cast<const State&>(state).factor;
    return {f.data(), static_cast<size_t>(f.size())};
  }
  // Moments of factor . item over the catalog, from the factors' covariance.
  std::optional<ScoreMoments> CatalogMoments(const UserState& state) const override {
    return moments_.For(EmbeddingQuery(state));
  }
  // Explanations: the cosine of two items' factors.
  bool has_item_similarity() const override { return true; }
  float ItemSimilarity(int32_t a, int32_t b) const override;

  // The fold-in itself, for callers that want the factor.
  Eigen::VectorXf FoldIn(std::span<const Event> events) const;

  ConstRowMatrixMap item_factors() const {
    return ConstRowMatrixMap(item_data_, num_items_, factors_);
  }
  // Trained factors of training users; 0 rows if the model has none.
  const RowMatrixXf& user_factors() const { return user_factors_; }

 private:
  MfScorer() = default;
  void Init(const float* item_data, Eigen::Index num_items, Eigen::Index factors);

  MfFoldIn fold_in_;
  std::unique_ptr<ModelDir> model_dir_;  // owns the buffer item_data_ may point into
  RowMatrixXf owned_item_factors_;       // used when not loaded from a file
  const float* item_data_ = nullptr;
  Eigen::Index num_items_ = 0;
  Eigen::Index factors_ = 0;
  Eigen::MatrixXf gram_;     // Y^T Y
  Eigen::MatrixXf base_inv_; // (Y^T Y + reg I)^-1, for short-history fold-in
  std::vector<float> inverse_norms_;  // 1 / |Y_i| (0 for a zero row), for ItemSimilarity
  EmbeddingMoments moments_;
  RowMatrixXf user_factors_;
};

}  // namespace recd

#endif  // RECD_MODELS_MF_SCORER_H_
