#ifndef RECD_MODELS_ITEM_ITEM_MODEL_H_
#define RECD_MODELS_ITEM_ITEM_MODEL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "models/sparse_matrix.h"
#include "recd/dataset.h"
#include "recd/model_dir.h"
#include "recd/scorer.h"

namespace recd {

// What the item-item models (kNN similarities, Markov transitions) share: a
// square sparse matrix whose rows are summed over the user's most recent
// items, plus a small popularity prior. These helpers hold the parts both
// scorers would otherwise write twice: the user state, and the model file.

// The user's recent items, newest first, each with the weight its row is
// summed with.
std::vector<ItemScore> RecentItemRows(const UserHistory& history, const RecentItemsWeighting& weighting);

// The sparse sum of `matrix` rows of the user's recent items (a SparseScores).
std::unique_ptr<UserState> EncodeRecentItems(const SparseRowMatrix& matrix,
                                             const UserHistory& history,
                                             const RecentItemsWeighting& weighting);

// One item-item model as stored: the matrix under `matrix_name`
// (.indptr/.indices/.values), "prior", and the scoring settings in the
// manifest (dims history_items; params recency_decay, prior_weight and, when
// present, the event weights).
struct ItemItemModel {
  SparseRowMatrix matrix;
  std::vector<float> prior;
  RecentItemsWeighting weighting;
  float prior_weight = 0;
};

absl::Status SaveItemItemModel(const std::string& dir, ModelManifest base,
                               std::string_view model_type, const std::string& matrix_name,
                               const SparseRowMatrix& matrix, std::span<const float> prior,
                               const RecentItemsWeighting& weighting, float prior_weight);
// `with_event_weights` says whether the model type stores event weights.
absl::StatusOr<ItemItemModel> LoadItemItemModel(const std::string& model_dir,
                                                std::string_view model_type,
                                                const std::string& matrix_name,
                                                bool with_event_weights);

}  // namespace recd

#endif  // RECD_MODELS_ITEM_ITEM_MODEL_H_
