#include "train/sparse_lstm_grad.h"

#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

SparseLstmGrad Shard(std::vector<int32_t> embedding_items, std::vector<int32_t> output_items,
                     float value) {
  SparseLstmGrad g;
  g.ResetCell(2, 1);
  g.weight_hh.setConstant(value);
  g.embedding_items = std::move(embedding_items);
  g.item_embedding.setConstant(static_cast<Eigen::Index>(g.embedding_items.size()), 2, value);
  g.output_items = std::move(output_items);
  g.output_weight.setConstant(static_cast<Eigen::Index>(g.output_items.size()), 1, value);
  g.output_bias.setConstant(static_cast<Eigen::Index>(g.output_items.size()), value);
  return g;
}

TEST(SparseLstmGradTest, SumCoversTheUnionOfShardRowsWithWeights) {
  const std::vector<SparseLstmGrad> shards = {Shard({4, 1}, {7}, 1.0f),
                                              Shard({1, 9}, {7, 2}, 10.0f)};
  const std::vector<float> weights = {0.25f, 0.75f};
  ItemRowIndex index;
  index.Resize(10);
  SparseLstmGrad sum;
  SumSparseGrads(shards, weights, &index, &sum);

  EXPECT_EQ(sum.weight_hh(0, 0), 0.25f + 7.5f);
  EXPECT_EQ(sum.embedding_items, (std::vector<int32_t>{4, 1, 9}));
  EXPECT_EQ(sum.item_embedding.col(0), Eigen::Vector3f(0.25f, 7.75f, 7.5f));
  EXPECT_EQ(sum.output_items, (std::vector<int32_t>{7, 2}));
  EXPECT_EQ(sum.output_weight.col(0), Eigen::Vector2f(7.75f, 7.5f));
  EXPECT_EQ(sum.output_bias, Eigen::Vector2f(7.75f, 7.5f));
  // The index is left empty: a new list starts from row 0.
  std::vector<int32_t> items;
  EXPECT_EQ(index.Insert(9, &items), 0);
}

TEST(SparseLstmGradTest, SquaredNormAndScaleCoverEveryTensor) {
  SparseLstmGrad g = Shard({3}, {5, 6}, 2.0f);
  // weight_hh 4x1, one embedding row of 2, two output rows of 1 + two biases: 10 entries of 4.
  EXPECT_DOUBLE_EQ(g.SquaredNorm(), 10 * 4.0);
  g.Scale(0.5f);
  EXPECT_DOUBLE_EQ(g.SquaredNorm(), 10 * 1.0);
}

}  // namespace
}  // namespace recd
