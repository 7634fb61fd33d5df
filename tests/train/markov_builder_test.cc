#include "train/markov_builder.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/sequence_data.h"

namespace recd {
namespace {

using testing_util::MakeSequences;

MarkovBuilderOptions AdjacentOnly(float smoothing) {
  MarkovBuilderOptions o;
  o.skip1_weight = 0.0f;
  o.skip2_weight = 0.0f;
  o.smoothing = smoothing;
  return o;
}

TEST(MarkovBuilderTest, RowsAreTransitionFrequencies) {
  // 0 -> 1 twice, 0 -> 2 once, 1 -> 2 once.
  const Dataset d = MakeSequences(3, {{0, 1, 2}, {0, 1}, {0, 2}});
  auto m = BuildMarkov(d, AdjacentOnly(0.0f));
  ASSERT_TRUE(m.ok()) << m.status();
  const SparseRowMatrix& t = (*m)->transitions();
  EXPECT_FLOAT_EQ(t.coeff(0, 1), 2.0f / 3.0f);
  EXPECT_FLOAT_EQ(t.coeff(0, 2), 1.0f / 3.0f);
  EXPECT_FLOAT_EQ(t.coeff(1, 2), 1.0f);
  EXPECT_EQ(t.row(2).nonZeros(), 0);
}

TEST(MarkovBuilderTest, SmoothingAddsToRowTotal) {
  const Dataset d = MakeSequences(3, {{0, 1, 2}, {0, 1}, {0, 2}});
  auto m = BuildMarkov(d, AdjacentOnly(1.0f));
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->transitions().coeff(0, 1), 2.0f / 4.0f);
  EXPECT_FLOAT_EQ((*m)->transitions().coeff(1, 2), 1.0f / 2.0f);
}

TEST(MarkovBuilderTest, SkipTransitionsCountWithTheirWeight) {
  // Adjacent 0->1, 1->2, 2->3; skip-1 0->2, 1->3; skip-2 0->3.
  const Dataset d = MakeSequences(4, {{0, 1, 2, 3}});
  MarkovBuilderOptions o;
  o.skip1_weight = 0.5f;
  o.skip2_weight = 0.25f;
  o.smoothing = 0.0f;
  auto m = BuildMarkov(d, o);
  ASSERT_TRUE(m.ok());
  const float total = 1.0f + 0.5f + 0.25f;
  EXPECT_FLOAT_EQ((*m)->transitions().coeff(0, 1), 1.0f / total);
  EXPECT_FLOAT_EQ((*m)->transitions().coeff(0, 2), 0.5f / total);
  EXPECT_FLOAT_EQ((*m)->transitions().coeff(0, 3), 0.25f / total);
}

TEST(MarkovBuilderTest, RepeatedItemIsNotATransition) {
  const Dataset d = MakeSequences(2, {{0, 0, 1}});
  auto m = BuildMarkov(d, AdjacentOnly(0.0f));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->transitions().coeff(0, 0), 0.0f);
  EXPECT_FLOAT_EQ((*m)->transitions().coeff(0, 1), 1.0f);
}

TEST(MarkovBuilderTest, MaxRowEntriesKeepsTheLargest) {
  const Dataset d = MakeSequences(4, {{0, 1}, {0, 1}, {0, 2}, {0, 3}, {0, 3}, {0, 3}});
  MarkovBuilderOptions o = AdjacentOnly(0.0f);
  o.max_row_entries = 2;
  auto m = BuildMarkov(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->transitions().row(0).nonZeros(), 2);
  EXPECT_EQ((*m)->transitions().coeff(0, 2), 0.0f);
}

TEST(MarkovBuilderTest, RecoversPlantedSuccessor) {
  // Each user walks the cycle i -> i+1 (mod 20) with 20% random jumps.
  std::mt19937 rng(7);
  std::uniform_int_distribution<int32_t> item(0, 19);
  std::bernoulli_distribution jump(0.2);
  std::vector<std::vector<int32_t>> histories(300);
  for (auto& h : histories) {
    int32_t cur = item(rng);
    for (int k = 0; k < 8; ++k) {
      h.push_back(cur);
      cur = jump(rng) ? item(rng) : (cur + 1) % 20;
    }
  }
  auto m = BuildMarkov(MakeSequences(20, histories), MarkovBuilderOptions{});
  ASSERT_TRUE(m.ok());
  for (int32_t i = 0; i < 20; ++i) {
    const auto top = (*m)->TopNeighbours(i, 1);
    ASSERT_EQ(top.size(), 1u);
    EXPECT_EQ(top[0].item, (i + 1) % 20) << "item " << i;
  }
}

TEST(MarkovBuilderTest, RejectsOutOfRangeItem) {
  Dataset d = MakeSequences(2, {{0, 1}});
  d.histories[0][1].item = 5;
  auto m = BuildMarkov(d, MarkovBuilderOptions{});
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(m.status().message()), testing::HasSubstr("user 0 event 1"));
}

TEST(MarkovBuilderTest, RejectsNegativeOptions) {
  MarkovBuilderOptions o;
  o.smoothing = -1.0f;
  EXPECT_FALSE(BuildMarkov(MakeSequences(2, {{0, 1}}), o).ok());
}

}  // namespace
}  // namespace recd
