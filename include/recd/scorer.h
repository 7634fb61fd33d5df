#ifndef RECD_SCORER_H_
#define RECD_SCORER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "recd/dataset.h"
#include "recd/model_dir.h"

namespace recd {

// What a scorer knows of the user it is scoring for.
struct UserHistory {
  std::span<const Event> events;  // oldest first
  int32_t user = -1;              // dense id if the user was in training, else -1
};

// A model's compact summary of one user (MF factor, LSTM hidden state,
// content profile, last item...). Built once per user and reused for every
// candidate, so per-request work is a dot product per item.
class UserState {
 public:
  virtual ~UserState() = default;
};

// The item vectors of a model that scores by an inner product: item i
// scores items[i] . query + bias[i] (no bias when empty). Row-major
// [rows x dim], borrowed from the model and valid while it lives.
struct ItemEmbeddings {
  const float* items = nullptr;
  int64_t rows = 0;
  int64_t dim = 0;
  std::span<const float> bias;
};

// How an item-item model (kNN, Markov) weighs the user's recent items when
// it sums their rows.
struct RecentItemsWeighting {
  int32_t history_items = 0;   // most recent events used; 0 = all
  // Event `a` steps before the last weighs decay^a; events past
  // kNegligibleRecencyWeight (sparse_scores.h) are not read.
  float recency_decay = 1.0f;
  // Also weight each event by its type; nullopt = every event counts 1.
  std::optional<EventWeights> event_weights;
};

// Mean and standard deviation of one user's scores over the whole catalog:
// the scale fusion's zscore puts a model on, whichever items a request
// happens to rank.
struct ScoreMoments {
  double mean = 0;
  double sd = 0;
};

class Scorer;

// Items added to the catalog after a model was trained, as a model that
// reads catalog rows (content) sees them: see Scorer::ViewNewItems.
struct NewItemsView {
  // Scores exactly the new items (its item i is the i-th new item) from
  // user states of the model that made the view.
  std::unique_ptr<const Scorer> scorer;
  // Per new item, the trained items most like it, best first (empty when
  // none shares anything with it).
  std::vector<std::vector<int32_t>> similar_trained;
  // Encodes a history whose events may be on new items (ids from the
  // model's num_items() on, in the view's order) into a state of the model
  // that made the view; valid while that model lives. Empty: events on new
  // items are left out of user states.
  std::function<std::unique_ptr<UserState>(const UserHistory&)> encode;
};

// A trained model that scores catalog items for a user. Implementations hold
// immutable model data and are thread-safe for concurrent const calls.
class Scorer {
 public:
  virtual ~Scorer() = default;
  Scorer() = default;
  Scorer(const Scorer&) = delete;
  Scorer& operator=(const Scorer&) = delete;

  // Short stable name used in configs, metrics and explanations ("mf", "lstm").
  virtual std::string_view name() const = 0;
  virtual int32_t num_items() const = 0;

  // Summarises the user's history. Never null.
  virtual std::unique_ptr<UserState> Encode(const UserHistory& history) const = 0;

  // The state of `full_history`, given `previous`: this scorer's state of
  // the same history without its last `appended` events. Lets the daemon
  // refresh a cached user after new events without re-encoding all of them.
  // The default re-encodes `full_history`; a model overrides it only where
  // its incremental form equals Encode(full_history). Never null.
  // REQUIRES: `previous` came from this scorer; appended <= events.size().
  virtual std::unique_ptr<UserState> Extend(const UserState& previous,
                                            const UserHistory& full_history,
                                            size_t appended) const;

  // Writes the score of every item into `out`.
  // REQUIRES: out.size() == num_items(); `state` came from this scorer's Encode.
  virtual void ScoreAll(const UserState& state, std::span<float> out) const = 0;

  // Writes the score of candidates[i] into out[i]. The default scores all
  // items and gathers; models with cheap per-item scores override it.
  // REQUIRES: out.size() == candidates.size(), every candidate < num_items().
  virtual void ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                               std::span<float> out) const;

  // How the model proposes its best items before scoring (the candidate
  // stage asks when the catalog is too large to score whole). A model says
  // one of two things; one that says neither is rejected when the stage is
  // built, so a new model type never silently costs a catalog scan.
  //
  // 1. It nominates directly, from its state, without scanning the catalog
  // (popularity's precomputed order, the top of a sparse user vector, the
  // items of selective content tokens): Nominate appends up to n items,
  // roughly best first. REQUIRES for Nominate: nominates_directly().
  virtual bool nominates_directly() const { return false; }
  virtual void Nominate(const UserState& state, int n, std::vector<int32_t>& out) const;
  // 2. It scores by an inner product with item vectors: the stage searches
  // an ANN index over them with EmbeddingQuery(state) as the query.
  // REQUIRES for EmbeddingQuery: embeddings() has a value.
  virtual std::optional<ItemEmbeddings> embeddings() const { return std::nullopt; }
  virtual std::span<const float> EmbeddingQuery(const UserState& state) const;

  // The moments of ScoreAll(state) over every item, computed without
  // scoring them all (from statistics kept at load), so a ranking of a few
  // candidates normalises exactly as a whole-catalog ranking would. Nullopt
  // when the model cannot say: fusion then normalises over the items ranked.
  virtual std::optional<ScoreMoments> CatalogMoments(const UserState&) const { return std::nullopt; }
  // Explanations: how alike two items are in this model's own terms (e.g.
  // co-occurrence, cosine of item factors), for "similar to X you viewed".
  // REQUIRES for ItemSimilarity: has_item_similarity(); 0 for unknown items.
  virtual bool has_item_similarity() const { return false; }
  virtual float ItemSimilarity(int32_t a, int32_t b) const;
  // Item-item models say how they weigh recent items, so the daemon's live
  // co-occurrence and transition rows (LiveOverlayScorer) are summed the
  // same way. Nullopt for the others.
  virtual std::optional<RecentItemsWeighting> recent_items_weighting() const { return std::nullopt; }

  // Items added to the catalog after training (catalog rows in `items`): a
  // model that can score an item from its row alone (content) returns a
  // view of them; nullopt for the others, whose scores for new items the
  // daemon estimates (models/new_items_scorer.h).
  virtual std::optional<NewItemsView> ViewNewItems(std::span<const ItemInfo> /*items*/) const {
    return std::nullopt;
  }

  // Writes the model to a model directory. `base` supplies the data hash,
  // metrics and extra params; the model fills in type, dims and tensors.
  // Models that cannot be stored (test fakes) return Unimplemented.
  virtual absl::Status Save(const std::string& dir, ModelManifest base) const;
};

// Upcasts a factory's result, e.g. AsScorer(MfScorer::Load(dir)).
template <typename T>
absl::StatusOr<std::unique_ptr<Scorer>> AsScorer(absl::StatusOr<std::unique_ptr<T>> scorer) {
  if (!scorer.ok()) return scorer.status();
  return std::unique_ptr<Scorer>(*std::move(scorer));
}

}  // namespace recd

#endif  // RECD_SCORER_H_
