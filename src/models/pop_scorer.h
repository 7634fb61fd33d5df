#ifndef RECD_MODELS_POP_SCORER_H_
#define RECD_MODELS_POP_SCORER_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "models/sparse_matrix.h"
#include "recd/model_dir.h"
#include "recd/scorer.h"

namespace recd {

// Popularity: one (time-decayed) count per item, the same for every user.
// The fallback for cold users and the floor every personalised model must
// beat. The ranking is computed once at construction so TopItems is a copy.
// Immutable; thread-safe for concurrent const calls.
class PopScorer final : public Scorer {
 public:
  static constexpr std::string_view kName = "pop";

  explicit PopScorer(std::vector<float> scores);

  // Reads a model directory written by Save(); checks type and shape.
  static absl::StatusOr<std::unique_ptr<PopScorer>> Load(const std::string& model_dir);
  // Writes the model under `dir`; `base` carries data hash, metrics, etc.
  absl::Status Save(const std::string& dir, ModelManifest base) const override;

  std::string_view name() const override { return kName; }
  int32_t num_items() const override { return static_cast<int32_t>(scores_.size()); }
  std::unique_ptr<UserState> Encode(const UserHistory& history) const override;
  void ScoreAll(const UserState& state, std::span<float> out) const override;
  void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                       std::span<float> out) const override;
  // The same for every user: computed once.
  std::optional<ScoreMoments> CatalogMoments(const UserState&) const override { return moments_; }

  // The k most popular items, best first (ties by lower id).
  std::vector<ItemScore> TopItems(int32_t k) const;
  // Nominates TopItems(n): the same for every user.
  bool nominates_directly() const override { return true; }
  void Nominate(const UserState& state, int n, std::vector<int32_t>& out) const override;

  std::span<const float> scores() const { return scores_; }

 private:
  std::vector<float> scores_;
  std::vector<ItemScore> ranked_;  // all items, best first
  ScoreMoments moments_;
};

}  // namespace recd

#endif  // RECD_MODELS_POP_SCORER_H_
