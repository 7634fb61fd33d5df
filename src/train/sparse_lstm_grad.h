#ifndef RECD_TRAIN_SPARSE_LSTM_GRAD_H_
#define RECD_TRAIN_SPARSE_LSTM_GRAD_H_

#include <Eigen/Core>
#include <cstdint>
#include <span>
#include <vector>

#include "models/lstm_scorer.h"

namespace recd {

// The gradient of one sampled-softmax step: dense for the small LSTM cell
// tensors, and only the rows the step used for the three item-indexed
// tensors (item_embedding, output.weight, output.bias). Its size follows the
// batch and the number of negatives, not the catalog, so nothing per step
// costs O(num_items). Rows absent from a list have a zero gradient.
// A value type.
struct SparseLstmGrad {
  RowMatrixXf weight_ih;    // [4H x E]
  RowMatrixXf weight_hh;    // [4H x H]
  Eigen::VectorXf bias_ih;  // [4H]
  Eigen::VectorXf bias_hh;  // [4H]

  std::vector<int32_t> embedding_items;  // distinct items with an embedding gradient
  RowMatrixXf item_embedding;            // [embedding_items.size() x E]
  std::vector<int32_t> output_items;     // distinct items with an output gradient
  RowMatrixXf output_weight;             // [output_items.size() x H]
  Eigen::VectorXf output_bias;           // [output_items.size()]

  // Zero cell tensors of the right shapes and no item rows.
  void ResetCell(int embedding_dim, int hidden_dim);
  // Sum of squares over every tensor (the squared global norm).
  double SquaredNorm() const;
  void Scale(float factor);
};

// Maps item ids to rows of a sparse gradient. Backed by an array over the
// catalog that is allocated once and reset entry by entry, so a lookup is
// O(1) and clearing costs the rows used, not the catalog. Not thread-safe.
class ItemRowIndex {
 public:
  // Makes room for items in [0, num_items); a no-op when already that size.
  // REQUIRES: empty (every inserted item cleared).
  void Resize(int32_t num_items);

  // The row of `item`, or -1.
  int32_t Find(int32_t item) const { return row_[static_cast<size_t>(item)]; }

  // The row of `item`; a new item gets the next row and is appended to `items`.
  int32_t Insert(int32_t item, std::vector<int32_t>* items);

  // Forgets `items`. REQUIRES: they are exactly the items inserted since the
  // last Clear() (the list Insert() appended to).
  void Clear(std::span<const int32_t> items);

 private:
  std::vector<int32_t> row_;
};

// Overwrites `out` with sum_s weights[s] * shards[s]: the cell tensors
// densely, the item rows over the union of the shards' rows. `index` is
// scratch sized to the catalog and is left empty.
void SumSparseGrads(std::span<const SparseLstmGrad> shards, std::span<const float> weights,
                    ItemRowIndex* index, SparseLstmGrad* out);

}  // namespace recd

#endif  // RECD_TRAIN_SPARSE_LSTM_GRAD_H_
