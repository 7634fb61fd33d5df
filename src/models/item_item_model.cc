#include "models/item_item_model.h"

#include <algorithm>

#include "models/csr_tensors.h"
#include "models/manifest_params.h"
#include "models/sparse_scores.h"

namespace recd {

std::vector<ItemScore> RecentItemRows(const UserHistory& history, const RecentItemsWeighting& weighting) {
  const size_t n = history.events.size();
  const size_t take =
      weighting.history_items > 0 ? std::min(n, static_cast<size_t>(weighting.history_items)) : n;
  std::vector<ItemScore> rows;
  rows.reserve(take);
  float w = 1.0f;
  for (size_t a = 0; a < take && w >= kNegligibleRecencyWeight; ++a, w *= weighting.recency_decay) {
    const Event& e = history.events[n - 1 - a];
    rows.push_back({e.item, weighting.event_weights ? w * weighting.event_weights->Of(e.type) : w});
  }
  return rows;
}

std::unique_ptr<UserState> EncodeRecentItems(const SparseRowMatrix& matrix,
                                             const UserHistory& history,
                                             const RecentItemsWeighting& weighting) {
  return SparseScores::FromRows(matrix, RecentItemRows(history, weighting));
}

absl::Status SaveItemItemModel(const std::string& dir, ModelManifest base,
                               std::string_view model_type, const std::string& matrix_name,
                               const SparseRowMatrix& matrix, std::span<const float> prior,
                               const RecentItemsWeighting& weighting, float prior_weight) {
  base.model_type = std::string(model_type);
  base.num_items = static_cast<int64_t>(prior.size());
  base.dims["history_items"] = weighting.history_items;
  SetFloatParam("recency_decay", weighting.recency_decay, &base);
  SetFloatParam("prior_weight", prior_weight, &base);
  if (weighting.event_weights) SetEventWeightParams(*weighting.event_weights, &base);
  SafetensorsWriter tensors;
  AddCsrTensors(matrix_name, matrix, &tensors);
  tensors.AddF32("prior", {base.num_items}, prior);
  return ModelDir::Write(dir, std::move(base), tensors);
}

absl::StatusOr<ItemItemModel> LoadItemItemModel(const std::string& model_dir,
                                                std::string_view model_type,
                                                const std::string& matrix_name,
                                                bool with_event_weights) {
  auto dir = ModelDir::Open(model_dir, std::string(model_type));
  if (!dir.ok()) return dir.status();
  const int64_t n = (*dir)->manifest().num_items;
  ItemItemModel model;
  auto matrix = ReadCsrTensors((*dir)->tensors(), matrix_name, n, n);
  if (!matrix.ok()) return matrix.status();
  model.matrix = *std::move(matrix);
  auto prior = ReadF32Vector((*dir)->tensors(), "prior", n);
  if (!prior.ok()) return prior.status();
  model.prior = *std::move(prior);
  auto history_items = GetDim(**dir, "history_items");
  if (!history_items.ok()) return history_items.status();
  model.weighting.history_items = static_cast<int32_t>(*history_items);
  auto recency_decay = GetFloatParam(**dir, "recency_decay");
  if (!recency_decay.ok()) return recency_decay.status();
  model.weighting.recency_decay = *recency_decay;
  auto prior_weight = GetFloatParam(**dir, "prior_weight");
  if (!prior_weight.ok()) return prior_weight.status();
  model.prior_weight = *prior_weight;
  if (with_event_weights) {
    auto event_weights = GetEventWeightParams(**dir);
    if (!event_weights.ok()) return event_weights.status();
    model.weighting.event_weights = *event_weights;
  }
  return model;
}

}  // namespace recd
