#include "models/new_items_scorer.h"

#include <algorithm>
#include <utility>

namespace recd {
namespace {

// Mean of `rows` of `e` (all of them when `rows` is empty) into `vector` and
// `bias`.
void MeanItemVector(const ItemEmbeddings& e, std::span<const int32_t> rows, std::span<float> vector, float& bias) {
  std::fill(vector.begin(), vector.end(), 0.0f);
  double bias_sum = 0.0;
  const auto add = [&](int64_t r) {
    const float* row = e.items + r * e.dim;
    for (int64_t d = 0; d < e.dim; ++d) vector[static_cast<size_t>(d)] += row[d];
    if (!e.bias.empty()) bias_sum += e.bias[static_cast<size_t>(r)];
  };
  int64_t count = 0;
  if (rows.empty()) {
    for (int64_t r = 0; r < e.rows; ++r) add(r);
    count = e.rows;
  } else {
    for (int32_t r : rows) {
      if (r < 0 || r >= e.rows) continue;
      add(r);
      ++count;
    }
  }
  if (count == 0) return;
  for (float& v : vector) v /= static_cast<float>(count);
  bias = static_cast<float>(bias_sum / static_cast<double>(count));
}

EstimatedItemVectors EstimateVectors(const ItemEmbeddings& e, size_t new_items,
                                     const std::vector<std::vector<int32_t>>* similar) {
  EstimatedItemVectors out;
  out.dim = e.dim;
  out.rows.assign(new_items * static_cast<size_t>(e.dim), 0.0f);
  out.bias.assign(new_items, 0.0f);
  std::vector<float> catalog_mean(static_cast<size_t>(e.dim), 0.0f);
  float catalog_bias = 0.0f;
  bool have_catalog_mean = false;
  for (size_t k = 0; k < new_items; ++k) {
    std::span<float> row(out.rows.data() + k * static_cast<size_t>(e.dim), static_cast<size_t>(e.dim));
    if (similar != nullptr && !(*similar)[k].empty()) {
      MeanItemVector(e, (*similar)[k], row, out.bias[k]);
      continue;
    }
    if (!have_catalog_mean) {
      MeanItemVector(e, {}, catalog_mean, catalog_bias);
      have_catalog_mean = true;
    }
    std::copy(catalog_mean.begin(), catalog_mean.end(), row.begin());
    out.bias[k] = catalog_bias;
  }
  return out;
}

}  // namespace

NewItemsScorer::NewItemsScorer(std::shared_ptr<const Scorer> trained, int32_t new_items,
                               std::unique_ptr<const Scorer> view,
                               std::function<std::unique_ptr<UserState>(const UserHistory&)> encode,
                               EstimatedItemVectors vectors)
    : trained_(std::move(trained)),
      trained_items_(trained_->num_items()),
      new_items_(new_items),
      view_(std::move(view)),
      encode_(std::move(encode)),
      vectors_(std::move(vectors)) {}

UserHistory NewItemsScorer::TrainedOnly(const UserHistory& history, std::vector<Event>& storage) const {
  const auto is_new = [this](const Event& e) { return e.item >= trained_items_; };
  if (std::none_of(history.events.begin(), history.events.end(), is_new)) return history;
  storage.clear();
  for (const Event& e : history.events) {
    if (!is_new(e)) storage.push_back(e);
  }
  return UserHistory{storage, history.user};
}

std::unique_ptr<UserState> NewItemsScorer::Encode(const UserHistory& history) const {
  if (encode_) return encode_(history);
  std::vector<Event> storage;
  return trained_->Encode(TrainedOnly(history, storage));
}

std::unique_ptr<UserState> NewItemsScorer::Extend(const UserState& previous, const UserHistory& full_history,
                                                  size_t appended) const {
  // A model whose view encodes new items re-encodes (content keeps no
  // incremental form: its Extend is Encode).
  if (encode_) return encode_(full_history);
  std::vector<Event> storage;
  const UserHistory kept = TrainedOnly(full_history, storage);
  // The appended events that remain once new items are left out.
  const size_t n = full_history.events.size();
  size_t kept_appended = 0;
  for (size_t i = n - std::min(appended, n); i < n; ++i) {
    if (full_history.events[i].item < trained_items_) ++kept_appended;
  }
  if (kept_appended == 0) return trained_->Extend(previous, kept, 0);
  return trained_->Extend(previous, kept, kept_appended);
}

void NewItemsScorer::ScoreAll(const UserState& state, std::span<float> out) const {
  trained_->ScoreAll(state, out.first(static_cast<size_t>(trained_items_)));
  ScoreAllNew(state, out.subspan(static_cast<size_t>(trained_items_)));
}

void NewItemsScorer::ScoreCandidates(const UserState& state, std::span<const int32_t> candidates,
                                     std::span<float> out) const {
  const auto is_new = [this](int32_t item) { return item >= trained_items_; };
  if (std::none_of(candidates.begin(), candidates.end(), is_new)) {
    trained_->ScoreCandidates(state, candidates, out);
    return;
  }
  std::vector<int32_t> trained_ids, new_ids;
  std::vector<size_t> trained_at, new_at;
  for (size_t i = 0; i < candidates.size(); ++i) {
    if (is_new(candidates[i])) {
      new_ids.push_back(candidates[i] - trained_items_);
      new_at.push_back(i);
    } else {
      trained_ids.push_back(candidates[i]);
      trained_at.push_back(i);
    }
  }
  std::vector<float> scores(trained_ids.size());
  if (!trained_ids.empty()) trained_->ScoreCandidates(state, trained_ids, scores);
  for (size_t j = 0; j < scores.size(); ++j) out[trained_at[j]] = scores[j];
  scores.assign(new_ids.size(), 0.0f);
  ScoreNew(state, new_ids, scores);
  for (size_t j = 0; j < scores.size(); ++j) out[new_at[j]] = scores[j];
}

void NewItemsScorer::ScoreAllNew(const UserState& state, std::span<float> out) const {
  if (view_ != nullptr) {
    view_->ScoreAll(state, out);
    return;
  }
  if (vectors_.rows.empty()) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  const std::span<const float> query = trained_->EmbeddingQuery(state);
  Eigen::Map<Eigen::VectorXf> scores(out.data(), new_items_);
  scores.noalias() = EstimatedRows().leftCols(static_cast<Eigen::Index>(query.size())) *
                     Eigen::Map<const Eigen::VectorXf>(query.data(), static_cast<Eigen::Index>(query.size()));
  scores += Eigen::Map<const Eigen::VectorXf>(vectors_.bias.data(), new_items_);
}

void NewItemsScorer::ScoreNew(const UserState& state, std::span<const int32_t> local, std::span<float> out) const {
  if (view_ != nullptr) {
    view_->ScoreCandidates(state, local, out);
    return;
  }
  if (vectors_.rows.empty()) {
    std::fill(out.begin(), out.end(), 0.0f);
    return;
  }
  const std::span<const float> query = trained_->EmbeddingQuery(state);
  const Eigen::Map<const Eigen::VectorXf> q(query.data(), static_cast<Eigen::Index>(query.size()));
  const auto rows = EstimatedRows();
  for (size_t i = 0; i < local.size(); ++i) {
    out[i] = rows.row(local[i]).head(q.size()).dot(q) + vectors_.bias[static_cast<size_t>(local[i])];
  }
}

Eigen::Map<const NewItemsScorer::RowMajorMatrix> NewItemsScorer::EstimatedRows() const {
  return Eigen::Map<const RowMajorMatrix>(vectors_.rows.data(), new_items_, vectors_.dim);
}

float NewItemsScorer::ItemSimilarity(int32_t a, int32_t b) const {
  if (a >= trained_items_ || b >= trained_items_) return 0.0f;
  return trained_->ItemSimilarity(a, b);
}

std::shared_ptr<const ModelBundle> WithNewCatalogItems(std::shared_ptr<const ModelBundle> trained,
                                                       std::span<const ItemRecord> new_items) {
  IdMap items = trained->items();
  std::vector<ItemInfo> infos;
  for (const ItemRecord& row : new_items) {
    if (items.Find(row.item_id)) continue;  // known already: not new
    items.GetOrAdd(row.item_id);
    infos.push_back(row.info);
  }
  if (infos.empty()) return trained;
  const auto count = static_cast<int32_t>(infos.size());
  // Each model's view first: the first view's nearest trained items shape
  // the estimated vectors of the models without one.
  std::vector<std::optional<NewItemsView>> views;
  views.reserve(trained->scorers().size());  // `similar` points into it
  const std::vector<std::vector<int32_t>>* similar = nullptr;
  for (const auto& scorer : trained->scorers()) {
    views.push_back(scorer->ViewNewItems(infos));
    if (similar == nullptr && views.back()) similar = &views.back()->similar_trained;
  }
  std::vector<std::shared_ptr<const Scorer>> scorers;
  for (size_t i = 0; i < trained->scorers().size(); ++i) {
    const std::shared_ptr<const Scorer>& scorer = trained->scorers()[i];
    std::unique_ptr<const Scorer> view = views[i] ? std::move(views[i]->scorer) : nullptr;
    std::function<std::unique_ptr<UserState>(const UserHistory&)> encode;
    if (views[i]) encode = std::move(views[i]->encode);
    EstimatedItemVectors vectors;
    if (view == nullptr) {
      if (const std::optional<ItemEmbeddings> e = scorer->embeddings(); e && e->rows > 0 && e->dim > 0) {
        vectors = EstimateVectors(*e, infos.size(), similar);
      }
    }
    scorers.push_back(
        std::make_shared<NewItemsScorer>(scorer, count, std::move(view), std::move(encode), std::move(vectors)));
  }
  return ModelBundle::Derive(*trained, std::move(items), std::move(scorers));
}

}  // namespace recd
