#include "models/pop_scorer.h"

#include <vector>

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"
#include "test_util/test_files.h"

namespace recd {
namespace {

using testing_util::Events;
using testing_util::FreshDir;

TEST(PopScorerTest, ScoresIgnoreTheUser) {
  const PopScorer s({3.0f, 1.0f, 2.0f});
  std::vector<float> a(3), b(3);
  const auto h1 = Events({0});
  const auto h2 = Events({2, 1});
  s.ScoreAll(*s.Encode({h1}), a);
  s.ScoreAll(*s.Encode({h2}), b);
  EXPECT_EQ(a, (std::vector<float>{3.0f, 1.0f, 2.0f}));
  EXPECT_EQ(a, b);
}

TEST(PopScorerTest, TopItemsBestFirstTiesByLowerId) {
  const PopScorer s({1.0f, 5.0f, 2.0f, 5.0f});
  const auto top = s.TopItems(3);
  ASSERT_EQ(top.size(), 3u);
  EXPECT_EQ(top[0], (ItemScore{1, 5.0f}));
  EXPECT_EQ(top[1], (ItemScore{3, 5.0f}));
  EXPECT_EQ(top[2], (ItemScore{2, 2.0f}));
  EXPECT_EQ(s.TopItems(10).size(), 4u);
}

TEST(PopScorerTest, CandidatesGatherScores) {
  const PopScorer s({1.0f, 5.0f, 2.0f});
  const std::vector<int32_t> candidates = {2, 0};
  std::vector<float> out(2);
  s.ScoreCandidates(*s.Encode({}), candidates, out);
  EXPECT_EQ(out, (std::vector<float>{2.0f, 1.0f}));
}

TEST(PopScorerTest, SaveLoadRoundTripKeepsScores) {
  const PopScorer s({1.5f, 0.25f, 7.0f});
  const std::string dir = FreshDir("pop_round_trip");
  ASSERT_TRUE(s.Save(dir, ModelManifest{}).ok());
  auto loaded = PopScorer::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(std::vector<float>((*loaded)->scores().begin(), (*loaded)->scores().end()),
            (std::vector<float>{1.5f, 0.25f, 7.0f}));
  EXPECT_EQ((*loaded)->TopItems(1), s.TopItems(1));
}

}  // namespace
}  // namespace recd
