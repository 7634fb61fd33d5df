#include "train/lstm_adam.h"

#include <random>

#include "gtest/gtest.h"

namespace recd {
namespace {

constexpr int32_t kItems = 6;
constexpr int kE = 3;
constexpr int kH = 4;

LstmWeights Random(uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0f, 0.5f);
  LstmWeights w = LstmWeights::Zeros(kItems, kE, kH);
  for (auto t : FlatTensors(w)) {
    for (Eigen::Index i = 0; i < t.size(); ++i) t[i] = normal(rng);
  }
  return w;
}

// A sparse gradient over the given rows with random values.
SparseLstmGrad RandomSparse(const std::vector<int32_t>& embedding_items,
                            const std::vector<int32_t>& output_items, uint64_t seed) {
  const LstmWeights dense = Random(seed);
  SparseLstmGrad g;
  g.weight_ih = dense.weight_ih;
  g.weight_hh = dense.weight_hh;
  g.bias_ih = dense.bias_ih;
  g.bias_hh = dense.bias_hh;
  g.embedding_items = embedding_items;
  g.item_embedding.resize(static_cast<Eigen::Index>(embedding_items.size()), kE);
  for (size_t k = 0; k < embedding_items.size(); ++k) {
    g.item_embedding.row(static_cast<Eigen::Index>(k)) =
        dense.item_embedding.row(embedding_items[k]);
  }
  g.output_items = output_items;
  g.output_weight.resize(static_cast<Eigen::Index>(output_items.size()), kH);
  g.output_bias.resize(static_cast<Eigen::Index>(output_items.size()));
  for (size_t k = 0; k < output_items.size(); ++k) {
    g.output_weight.row(static_cast<Eigen::Index>(k)) = dense.output_weight.row(output_items[k]);
    g.output_bias(static_cast<Eigen::Index>(k)) = dense.output_bias(output_items[k]);
  }
  return g;
}

LstmTrainOptions WithDecay() {
  LstmTrainOptions o;
  o.learning_rate = 0.1f;
  o.weight_decay = 0.1f;  // decay must not reach untouched rows either
  return o;
}

TEST(LstmAdamTest, LazyUpdateLeavesUntouchedRowsUnchanged) {
  LstmWeights w = Random(1);
  const LstmWeights before = w;
  const LstmTrainOptions o = WithDecay();
  LstmAdam adam(w, o);
  // Step 2 touches no embedding rows, so rows 1 and 4 keep momentum that a
  // dense update would keep applying; the lazy one must not.
  adam.Update(w, RandomSparse({1, 4}, {0, 2}, 2));
  adam.Update(w, RandomSparse({}, {2}, 3));
  adam.Update(w, RandomSparse({4}, {0}, 4));
  const LstmWeights after_three = w;
  adam.Update(w, RandomSparse({}, {}, 5));
  EXPECT_EQ(adam.steps(), 4);
  for (int32_t item : {0, 2, 3, 5}) {
    EXPECT_EQ(w.item_embedding.row(item), before.item_embedding.row(item)) << "item " << item;
  }
  for (int32_t item : {1, 3, 4, 5}) {
    EXPECT_EQ(w.output_weight.row(item), before.output_weight.row(item)) << "item " << item;
    EXPECT_EQ(w.output_bias(item), before.output_bias(item)) << "item " << item;
  }
  for (int32_t item : {1, 4})
    EXPECT_NE(w.item_embedding.row(item), before.item_embedding.row(item));
  for (int32_t item : {0, 2}) EXPECT_NE(w.output_weight.row(item), before.output_weight.row(item));
  // A step touching no rows moves only the dense cell tensors.
  EXPECT_EQ(w.item_embedding, after_three.item_embedding);
  EXPECT_EQ(w.output_weight, after_three.output_weight);
  EXPECT_NE(w.weight_hh, after_three.weight_hh);
}

TEST(LstmAdamTest, LazyUpdateTouchingEveryRowEqualsDenseUpdate) {
  LstmWeights lazy_w = Random(6);
  LstmWeights dense_w = lazy_w;
  const LstmTrainOptions o = WithDecay();
  LstmAdam lazy(lazy_w, o);
  LstmAdam dense(dense_w, o);
  const std::vector<int32_t> all = {0, 1, 2, 3, 4, 5};
  const std::vector<int32_t> shuffled = {3, 0, 5, 1, 4, 2};  // row order must not matter
  for (uint64_t step = 0; step < 3; ++step) {
    const SparseLstmGrad sparse = RandomSparse(all, step == 1 ? shuffled : all, 10 + step);
    LstmWeights g = Random(10 + step);
    lazy.Update(lazy_w, sparse);
    dense.Update(dense_w, g);
  }
  auto a = FlatTensors(lazy_w);
  auto b = FlatTensors(dense_w);
  for (size_t t = 0; t < a.size(); ++t) EXPECT_TRUE(a[t].isApprox(b[t], 1e-6f)) << "tensor " << t;
}

}  // namespace
}  // namespace recd
