#ifndef RECD_MODELS_NEW_ITEMS_SCORER_H_
#define RECD_MODELS_NEW_ITEMS_SCORER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include <Eigen/Core>

#include "recd/feature_store.h"
#include "recd/model_bundle.h"
#include "recd/scorer.h"

namespace recd {

// Item vectors estimated for new items: row k (of `dim` floats) and bias k
// belong to the k-th new item.
struct EstimatedItemVectors {
  std::vector<float> rows;
  std::vector<float> bias;
  int64_t dim = 0;
};

// A trained model extended to items added to the catalog after training:
// new item k has id trained->num_items() + k. A new item is scored
//  - through the model's own view of it (Scorer::ViewNewItems: content);
//  - else, for a model of item vectors (MF, LSTM), with an estimated vector:
//    the mean of those of the trained items most like it in content, or the
//    catalog's mean vector when none is;
//  - else 0: popularity, co-occurrence and transitions have counted nothing
//    for it yet (the daemon's live statistics, layered above, count its
//    events as they come).
// User states are the trained model's: events on new items count where the
// model's view can encode them (content: their rows join the profile) and
// are left out otherwise, until a bundle is trained with the items.
// Catalog moments are the
// trained items' (a few new items barely move them). Immutable.
class NewItemsScorer final : public Scorer {
 public:
  // `view` and `encode` come from trained's NewItemsView (or are empty).
  // REQUIRES: view (when set) scores new_items items from trained's states;
  // vectors (when it has rows) holds new_items rows of trained's dim.
  NewItemsScorer(std::shared_ptr<const Scorer> trained, int32_t new_items, std::unique_ptr<const Scorer> view,
                 std::function<std::unique_ptr<UserState>(const UserHistory&)> encode, EstimatedItemVectors vectors);

  std::string_view name() const override { return trained_->name(); }
  int32_t num_items() const override { return trained_items_ + new_items_; }
  std::unique_ptr<UserState> Encode(const UserHistory& history) const override;
  std::unique_ptr<UserState> Extend(const UserState& previous, const UserHistory& full_history,
                                    size_t appended) const override;
  void ScoreAll(const UserState& state, std::span<float> out) const override;
  void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                       std::span<float> out) const override;
  // Nominations and retrieval indexes are the trained model's: the pipeline
  // adds the new items to every candidate set itself.
  bool nominates_directly() const override { return trained_->nominates_directly(); }
  void Nominate(const UserState& state, int n, std::vector<int32_t>& out) const override {
    trained_->Nominate(state, n, out);
  }
  std::optional<ItemEmbeddings> embeddings() const override { return trained_->embeddings(); }
  std::span<const float> EmbeddingQuery(const UserState& state) const override {
    return trained_->EmbeddingQuery(state);
  }
  std::optional<ScoreMoments> CatalogMoments(const UserState& state) const override {
    return trained_->CatalogMoments(state);
  }
  bool has_item_similarity() const override { return trained_->has_item_similarity(); }
  // The trained model's; 0 when either item is new.
  float ItemSimilarity(int32_t a, int32_t b) const override;
  std::optional<RecentItemsWeighting> recent_items_weighting() const override {
    return trained_->recent_items_weighting();
  }

 private:
  // `history` without its events on new items (a copy only when it has any).
  UserHistory TrainedOnly(const UserHistory& history, std::vector<Event>& storage) const;
  using RowMajorMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  // Scores of every new item into `out` (new_items_ floats), and of new
  // items `local` (0-based among the new items).
  void ScoreAllNew(const UserState& state, std::span<float> out) const;
  void ScoreNew(const UserState& state, std::span<const int32_t> local, std::span<float> out) const;
  // vectors_.rows as a matrix, one row per new item.
  Eigen::Map<const RowMajorMatrix> EstimatedRows() const;

  std::shared_ptr<const Scorer> trained_;
  int32_t trained_items_;
  int32_t new_items_;
  std::unique_ptr<const Scorer> view_;
  std::function<std::unique_ptr<UserState>(const UserHistory&)> encode_;
  EstimatedItemVectors vectors_;
};

// `trained` extended to the catalog rows `new_items` (items it holds no id
// for, in the order given): one NewItemsScorer per model. The first model
// that views new items (content) decides which trained items each is most
// like, for the others' estimated vectors. Returns `trained` itself when
// `new_items` is empty.
std::shared_ptr<const ModelBundle> WithNewCatalogItems(std::shared_ptr<const ModelBundle> trained,
                                                       std::span<const ItemRecord> new_items);

}  // namespace recd

#endif  // RECD_MODELS_NEW_ITEMS_SCORER_H_
