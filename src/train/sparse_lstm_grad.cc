#include "train/sparse_lstm_grad.h"

namespace recd {
namespace {

// out.row(index(items[k])) += weight * rows.row(k) for every k.
void AddRows(const std::vector<int32_t>& items, const RowMatrixXf& rows, float weight,
             const ItemRowIndex& index, RowMatrixXf* out) {
  for (size_t k = 0; k < items.size(); ++k) {
    out->row(index.Find(items[k])) += weight * rows.row(static_cast<Eigen::Index>(k));
  }
}

}  // namespace

void SparseLstmGrad::ResetCell(int embedding_dim, int hidden_dim) {
  weight_ih.setZero(4 * hidden_dim, embedding_dim);
  weight_hh.setZero(4 * hidden_dim, hidden_dim);
  bias_ih.setZero(4 * hidden_dim);
  bias_hh.setZero(4 * hidden_dim);
  embedding_items.clear();
  item_embedding.resize(0, embedding_dim);
  output_items.clear();
  output_weight.resize(0, hidden_dim);
  output_bias.resize(0);
}

double SparseLstmGrad::SquaredNorm() const {
  double sq = 0;
  sq += static_cast<double>(weight_ih.squaredNorm());
  sq += static_cast<double>(weight_hh.squaredNorm());
  sq += static_cast<double>(bias_ih.squaredNorm());
  sq += static_cast<double>(bias_hh.squaredNorm());
  sq += static_cast<double>(item_embedding.squaredNorm());
  sq += static_cast<double>(output_weight.squaredNorm());
  sq += static_cast<double>(output_bias.squaredNorm());
  return sq;
}

void SparseLstmGrad::Scale(float factor) {
  weight_ih *= factor;
  weight_hh *= factor;
  bias_ih *= factor;
  bias_hh *= factor;
  item_embedding *= factor;
  output_weight *= factor;
  output_bias *= factor;
}

void ItemRowIndex::Resize(int32_t num_items) {
  if (row_.size() != static_cast<size_t>(num_items))
    row_.assign(static_cast<size_t>(num_items), -1);
}

int32_t ItemRowIndex::Insert(int32_t item, std::vector<int32_t>* items) {
  int32_t& row = row_[static_cast<size_t>(item)];
  if (row < 0) {
    row = static_cast<int32_t>(items->size());
    items->push_back(item);
  }
  return row;
}

void ItemRowIndex::Clear(std::span<const int32_t> items) {
  for (int32_t item : items) row_[static_cast<size_t>(item)] = -1;
}

void SumSparseGrads(std::span<const SparseLstmGrad> shards, std::span<const float> weights,
                    ItemRowIndex* index, SparseLstmGrad* out) {
  const SparseLstmGrad& first = shards[0];
  out->weight_ih = weights[0] * first.weight_ih;
  out->weight_hh = weights[0] * first.weight_hh;
  out->bias_ih = weights[0] * first.bias_ih;
  out->bias_hh = weights[0] * first.bias_hh;
  for (size_t s = 1; s < shards.size(); ++s) {
    out->weight_ih += weights[s] * shards[s].weight_ih;
    out->weight_hh += weights[s] * shards[s].weight_hh;
    out->bias_ih += weights[s] * shards[s].bias_ih;
    out->bias_hh += weights[s] * shards[s].bias_hh;
  }

  out->embedding_items.clear();
  for (const SparseLstmGrad& g : shards) {
    for (int32_t item : g.embedding_items) index->Insert(item, &out->embedding_items);
  }
  out->item_embedding.setZero(static_cast<Eigen::Index>(out->embedding_items.size()),
                              first.item_embedding.cols());
  for (size_t s = 0; s < shards.size(); ++s) {
    AddRows(shards[s].embedding_items, shards[s].item_embedding, weights[s], *index,
            &out->item_embedding);
  }
  index->Clear(out->embedding_items);

  out->output_items.clear();
  for (const SparseLstmGrad& g : shards) {
    for (int32_t item : g.output_items) index->Insert(item, &out->output_items);
  }
  const auto rows = static_cast<Eigen::Index>(out->output_items.size());
  out->output_weight.setZero(rows, first.output_weight.cols());
  out->output_bias.setZero(rows);
  for (size_t s = 0; s < shards.size(); ++s) {
    const SparseLstmGrad& g = shards[s];
    AddRows(g.output_items, g.output_weight, weights[s], *index, &out->output_weight);
    for (size_t k = 0; k < g.output_items.size(); ++k) {
      out->output_bias(index->Find(g.output_items[k])) +=
          weights[s] * g.output_bias(static_cast<Eigen::Index>(k));
    }
  }
  index->Clear(out->output_items);
}

}  // namespace recd
