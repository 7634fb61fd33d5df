#include "models/markov_scorer.h"

#include <vector>

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"
#include "test_util/test_files.h"

namespace recd {
namespace {

using testing_util::Events;
using testing_util::FreshDir;

// 4 items; P(1|0) = 1, P(2|1) = 0.5, P(3|1) = 0.5; prior favours item 3.
MarkovScorer MakeMarkovScorer(MarkovScoring scoring) {
  SparseRowMatrix t(4, 4);
  t.insert(0, 1) = 1.0f;
  t.insert(1, 2) = 0.5f;
  t.insert(1, 3) = 0.5f;
  t.makeCompressed();
  return MarkovScorer(std::move(t), {0.0f, 0.5f, 0.25f, 1.0f}, scoring);
}

TEST(MarkovScorerTest, ScoreIsRecencyWeightedSumOfRows) {
  const MarkovScorer s = MakeMarkovScorer({/*history_items=*/2, /*recency_decay=*/0.5f,
                                     /*prior_weight=*/0.0f});
  const auto events = Events({0, 1});  // last item 1 weighs 1, item 0 weighs 0.5
  auto state = s.Encode({events});
  std::vector<float> out(4);
  s.ScoreAll(*state, out);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
  EXPECT_FLOAT_EQ(out[1], 0.5f);
  EXPECT_FLOAT_EQ(out[2], 0.5f);
  EXPECT_FLOAT_EQ(out[3], 0.5f);
}

TEST(MarkovScorerTest, OnlyTheLastHistoryItemsCount) {
  const MarkovScorer s = MakeMarkovScorer({1, 0.5f, 0.0f});
  const auto events = Events({0, 1});
  std::vector<float> out(4);
  s.ScoreAll(*s.Encode({events}), out);
  EXPECT_FLOAT_EQ(out[1], 0.0f);  // item 0 is beyond the one-item state
}

TEST(MarkovScorerTest, PriorOrdersItemsNoTransitionReaches) {
  const MarkovScorer s = MakeMarkovScorer({1, 0.5f, 0.01f});
  const auto events = Events({0});
  std::vector<float> out(4);
  s.ScoreAll(*s.Encode({events}), out);
  EXPECT_FLOAT_EQ(out[1], 1.0f + 0.01f * 0.5f);
  EXPECT_FLOAT_EQ(out[3], 0.01f);
  EXPECT_GT(out[3], out[2]);
}

TEST(MarkovScorerTest, CandidatesMatchScoreAll) {
  const MarkovScorer s = MakeMarkovScorer({3, 0.5f, 0.01f});
  const auto events = Events({1, 0, 1});
  auto state = s.Encode({events});
  std::vector<float> all(4);
  s.ScoreAll(*state, all);
  const std::vector<int32_t> candidates = {3, 0, 2, 2};
  std::vector<float> out(candidates.size());
  s.ScoreCandidates(*state, candidates, out);
  for (size_t i = 0; i < candidates.size(); ++i) EXPECT_FLOAT_EQ(out[i], all[candidates[i]]);
}

TEST(MarkovScorerTest, UnknownItemsInHistoryAreIgnored) {
  const MarkovScorer s = MakeMarkovScorer({2, 0.5f, 0.0f});
  const auto events = Events({7, -1});
  std::vector<float> out(4, 9.0f);
  s.ScoreAll(*s.Encode({events}), out);
  for (float v : out) EXPECT_EQ(v, 0.0f);
}

TEST(MarkovScorerTest, TopNeighboursAreMostLikelySuccessors) {
  const MarkovScorer s = MakeMarkovScorer({});
  const auto top = s.TopNeighbours(1, 5);
  ASSERT_EQ(top.size(), 2u);
  EXPECT_EQ(top[0], (ItemScore{2, 0.5f}));  // tie broken by lower id
  EXPECT_EQ(top[1], (ItemScore{3, 0.5f}));
  EXPECT_TRUE(s.TopNeighbours(9, 5).empty());
}

TEST(MarkovScorerTest, SaveLoadRoundTripGivesIdenticalScores) {
  const MarkovScorer s = MakeMarkovScorer({2, 0.37f, 0.013f});
  const std::string dir = FreshDir("markov_round_trip");
  ModelManifest base;
  base.data_hash = "abc";
  ASSERT_TRUE(s.Save(dir, base).ok());
  auto loaded = MarkovScorer::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->scoring().history_items, 2);
  EXPECT_EQ((*loaded)->scoring().recency_decay, 0.37f);
  const auto events = Events({1, 0});
  std::vector<float> a(4), b(4);
  s.ScoreAll(*s.Encode({events}), a);
  (*loaded)->ScoreAll(*(*loaded)->Encode({events}), b);
  EXPECT_EQ(a, b);
}

TEST(MarkovScorerTest, LoadRejectsOtherModelType) {
  const std::string dir = FreshDir("markov_wrong_type");
  SafetensorsWriter tensors;
  const std::vector<float> scores = {1.0f};
  tensors.AddF32("scores", {1}, scores);
  ModelManifest m;
  m.model_type = "pop";
  m.num_items = 1;
  ASSERT_TRUE(ModelDir::Write(dir, m, tensors).ok());
  EXPECT_FALSE(MarkovScorer::Load(dir).ok());
}

}  // namespace
}  // namespace recd
