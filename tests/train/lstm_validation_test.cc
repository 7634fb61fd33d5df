#include "train/lstm_validation.h"

#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"

namespace recd {
namespace {

TEST(LstmValidationTest, MatchesEvaluateScorer) {
  constexpr int32_t kItems = 50;
  std::mt19937_64 rng(3);
  std::normal_distribution<float> normal(0.0f, 0.7f);
  LstmWeights w = LstmWeights::Zeros(kItems, 4, 5);
  for (RowMatrixXf* m : {&w.item_embedding, &w.weight_ih, &w.weight_hh, &w.output_weight}) {
    for (Eigen::Index i = 0; i < m->size(); ++i) m->data()[i] = normal(rng);
  }
  for (Eigen::Index i = 0; i < kItems; ++i) w.output_bias(i) = normal(rng);
  // 70 users (more than one block of users, and a partial last block).
  std::vector<std::vector<int32_t>> histories;
  std::uniform_int_distribution<int32_t> item(0, kItems - 1);
  for (int u = 0; u < 70; ++u) {
    std::vector<int32_t> h(static_cast<size_t>(3 + u % 6));
    for (int32_t& i : h) i = item(rng);
    histories.push_back(h);
  }
  const Dataset data = testing_util::MakeSequences(kItems, histories);
  const LeaveOneOutSplit split = SplitLeaveOneOut(data);
  auto scorer = LstmScorer::Create(std::move(w), 4);
  ASSERT_TRUE(scorer.ok());
  for (int64_t max_users : {0, 40}) {
    const RankingMetrics expected =
        EvaluateScorer(**scorer, split, EvalTarget::kValidation, max_users);
    const RankingMetrics batched = ValidateLstm(**scorer, split, max_users);
    EXPECT_EQ(batched.users, expected.users);
    EXPECT_NEAR(batched.hr10, expected.hr10, 1e-9);
    EXPECT_NEAR(batched.ndcg10, expected.ndcg10, 1e-9);
    EXPECT_NEAR(batched.mrr, expected.mrr, 1e-9);
  }
}

}  // namespace
}  // namespace recd
