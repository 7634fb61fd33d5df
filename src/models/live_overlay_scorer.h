#ifndef RECD_MODELS_LIVE_OVERLAY_SCORER_H_
#define RECD_MODELS_LIVE_OVERLAY_SCORER_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "models/item_item_model.h"
#include "models/live_item_stats.h"
#include "models/sparse_matrix.h"
#include "recd/model_bundle.h"
#include "recd/scorer.h"

namespace recd {

// Which live statistic a model's scores are overlaid with.
enum class LiveOverlayKind {
  kPopularity,    // pop: + weight * the item's live count
  kCooccurrence,  // knn: + weight * sum over recent items h of w(h) * live cosine(h, item)
  kTransitions,   // markov: + weight * sum over recent items h of w(h) * live P(item | h)
};

// A bundle model whose scores also follow the event stream: the trained
// model's score plus its live statistic (LiveItemStats' latest snapshot,
// read when scoring, so a cached user state never goes stale with it).
// Recent items weigh as in the model itself (its RecentItemsWeighting), so
// the overlay adds to each row sum exactly what more training data would.
// It nominates what the model does plus the top of its overlay, so an item
// that only live events link to the user can still become a candidate.
//
// Shares the base model (held by shared_ptr); thread-safe for concurrent
// const calls.
class LiveOverlayScorer final : public Scorer {
 public:
  // REQUIRES: base, live non-null; the live stats are in base's item ids.
  LiveOverlayScorer(std::shared_ptr<const Scorer> base, LiveOverlayKind kind, RecentItemsWeighting weighting,
                    float weight, std::shared_ptr<const LiveItemStats> live);

  std::string_view name() const override { return base_->name(); }
  int32_t num_items() const override { return base_->num_items(); }
  std::unique_ptr<UserState> Encode(const UserHistory& history) const override;
  std::unique_ptr<UserState> Extend(const UserState& previous, const UserHistory& full_history,
                                    size_t appended) const override;
  void ScoreAll(const UserState& state, std::span<float> out) const override;
  void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                       std::span<float> out) const override;
  bool nominates_directly() const override { return base_->nominates_directly(); }
  void Nominate(const UserState& state, int n, std::vector<int32_t>& out) const override;
  std::optional<ItemEmbeddings> embeddings() const override { return base_->embeddings(); }
  std::span<const float> EmbeddingQuery(const UserState& state) const override;
  // The base's moments moved by the overlay, exactly: O(overlay items).
  std::optional<ScoreMoments> CatalogMoments(const UserState& state) const override;
  bool has_item_similarity() const override { return base_->has_item_similarity(); }
  // The base's similarity plus the live one (co-occurrence or transition).
  float ItemSimilarity(int32_t a, int32_t b) const override;
  // Saves the trained model alone: the overlay is the daemon's, not the bundle's.
  absl::Status Save(const std::string& dir, ModelManifest base) const override {
    return base_->Save(dir, std::move(base));
  }

  // The overlay of `state` against `snapshot`: items ascending, each with
  // the amount added to its score (already times the weight).
  std::vector<ItemScore> Overlay(const UserState& state, const LiveSnapshot& snapshot) const;

 private:
  struct SnapshotMoments {
    uint64_t generation = 0;
    std::optional<ScoreMoments> moments;
  };
  std::optional<ScoreMoments> MomentsWith(const UserState& state, const LiveSnapshot& snapshot) const;

  std::shared_ptr<const Scorer> base_;
  const LiveOverlayKind kind_;
  const RecentItemsWeighting weighting_;
  const float weight_;
  std::shared_ptr<const LiveItemStats> live_;
  // Popularity's moments are every user's: kept for the snapshot they are of.
  mutable std::atomic<std::shared_ptr<const SnapshotMoments>> popularity_moments_;
};

// The name of the live co-occurrence as a model of its own (MakeLiveModel).
inline constexpr std::string_view kLiveModelName = "live";

// The live co-occurrence as a model of its own, for fusion to weigh apart
// from the trained knn (whose tuned weight may be 0): 0 for every item plus
// the sum, over the user's recent items weighed by `weighting`, of their
// live cosine with it. Nominates the top of that sum; its catalog moments
// are exact. REQUIRES: live non-null, in ids 0..num_items-1.
std::shared_ptr<const Scorer> MakeLiveModel(int32_t num_items, RecentItemsWeighting weighting,
                                            std::shared_ptr<const LiveItemStats> live);

// Weights of the overlay per model (`live.weights` in the config).
struct LiveOverlayWeights {
  float pop = 1.0f;
  float knn = 1.0f;
  float markov = 1.0f;
};

// `bundle` with its pop, knn and markov models overlaid with `live` (the
// others shared as they are), and the live model (MakeLiveModel, weighing
// recent items as knn does, when the bundle has knn) after them. Directory, version, items and fusion are the
// bundle's, so it is reused and reported as the same version.
std::shared_ptr<const ModelBundle> WithLiveOverlay(const ModelBundle& bundle,
                                                  std::shared_ptr<const LiveItemStats> live,
                                                  const LiveOverlayWeights& weights);

}  // namespace recd

#endif  // RECD_MODELS_LIVE_OVERLAY_SCORER_H_
