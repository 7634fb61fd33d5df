#include "models/content_scorer.h"

#include <cmath>
#include <vector>

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"
#include "test_util/test_files.h"

namespace recd {
namespace {

using testing_util::Events;
using testing_util::FreshDir;

// Item vectors over 3 tokens: e0, e1, (e0 + e1)/sqrt2, e2, and an empty item.
ContentScorer MakeContentScorer(ContentScoring scoring) {
  const float r = 1.0f / std::sqrt(2.0f);
  SparseRowMatrix v(5, 3);
  v.insert(0, 0) = 1.0f;
  v.insert(1, 1) = 1.0f;
  v.insert(2, 0) = r;
  v.insert(2, 1) = r;
  v.insert(3, 2) = 1.0f;
  v.makeCompressed();
  return ContentScorer(std::move(v), {"attr:a", "attr:b", "attr:c"},
                       {1.0f, 0.5f, 0.0f, 0.0f, 0.25f}, scoring);
}

ContentScoring NoPrior(float decay) {
  ContentScoring sc;
  sc.recency_decay = decay;
  sc.prior_weight = 0.0f;
  return sc;
}

TEST(ContentScorerTest, ScoreIsCosineWithProfile) {
  const ContentScorer s = MakeContentScorer(NoPrior(1.0f));
  const auto events = Events({0, 1});  // profile (e0 + e1)/sqrt2
  std::vector<float> out(5);
  s.ScoreAll(*s.Encode({events}), out);
  EXPECT_NEAR(out[2], 1.0f, 1e-6);
  EXPECT_NEAR(out[0], 1.0f / std::sqrt(2.0f), 1e-6);
  EXPECT_EQ(out[3], 0.0f);
  EXPECT_EQ(out[4], 0.0f);
}

TEST(ContentScorerTest, SelectiveTopItemsFollowTheCosine) {
  const ContentScorer s = MakeContentScorer(NoPrior(1.0f));
  const auto state = s.Encode({Events({0, 1})});  // profile (e0 + e1)/sqrt2
  // Every token counts: items by cosine (ties by id), untouched items left out.
  EXPECT_EQ(s.TopItemsBySelectiveTokens(*state, 10, 100), (std::vector<int32_t>{2, 0, 1}));
  EXPECT_EQ(s.TopItemsBySelectiveTokens(*state, 1, 100), (std::vector<int32_t>{2}));
}

TEST(ContentScorerTest, SelectiveTopItemsSkipBroadTokens) {
  // Token 0 is on items 0..3 (broad), token 1 on item 4 only.
  SparseRowMatrix v(5, 2);
  for (int i = 0; i < 4; ++i) v.insert(i, 0) = 1.0f;
  v.insert(4, 0) = 0.6f;
  v.insert(4, 1) = 0.8f;
  v.makeCompressed();
  const ContentScorer s(std::move(v), {"cat:a", "brand:b"}, std::vector<float>(5, 0.0f), NoPrior(1.0f));
  const auto state = s.Encode({Events({4})});
  EXPECT_EQ(s.TopItemsBySelectiveTokens(*state, 5, 5), (std::vector<int32_t>{4, 0, 1, 2, 3}));
  EXPECT_EQ(s.TopItemsBySelectiveTokens(*state, 5, 2), (std::vector<int32_t>{4}));
}

TEST(ContentScorerTest, SelectiveTopItemsAreOrderedByTheFullScore) {
  // Token 0 is broad (items 0..4 and 6), token 1 selective (items 4, 5, 6).
  // For the profile of item 6, item 5 leads on the selective token alone,
  // item 4 once the broad token counts too: the nominations follow the latter.
  SparseRowMatrix v(7, 2);
  for (int i = 0; i < 4; ++i) v.insert(i, 0) = 1.0f;
  v.insert(4, 0) = 0.6f;
  v.insert(4, 1) = 0.8f;
  v.insert(5, 1) = 1.0f;
  v.insert(6, 0) = 0.8f;
  v.insert(6, 1) = 0.6f;
  v.makeCompressed();
  const ContentScorer s(std::move(v), {"cat:a", "brand:b"}, std::vector<float>(7, 0.0f), NoPrior(1.0f));
  const auto state = s.Encode({Events({6})});
  EXPECT_EQ(s.TopItemsBySelectiveTokens(*state, 2, 3), (std::vector<int32_t>{6, 4}));
}

TEST(ContentScorerTest, RecencyDecayTiltsProfileToLastItem) {
  const ContentScorer s = MakeContentScorer(NoPrior(0.5f));
  const auto events = Events({0, 1});  // profile ~ e1 + 0.5 e0
  std::vector<float> out(5);
  s.ScoreAll(*s.Encode({events}), out);
  const float norm = std::sqrt(1.25f);
  EXPECT_NEAR(out[1], 1.0f / norm, 1e-6);
  EXPECT_NEAR(out[0], 0.5f / norm, 1e-6);
}

TEST(ContentScorerTest, EmptyHistoryScoresOnlyThePrior) {
  ContentScoring sc = NoPrior(1.0f);
  sc.prior_weight = 0.1f;
  const ContentScorer s = MakeContentScorer(sc);
  std::vector<float> out(5);
  s.ScoreAll(*s.Encode({}), out);
  EXPECT_FLOAT_EQ(out[0], 0.1f);
  EXPECT_FLOAT_EQ(out[4], 0.025f);
}

TEST(ContentScorerTest, CandidatesMatchScoreAll) {
  ContentScoring sc = NoPrior(0.7f);
  sc.prior_weight = 0.01f;
  const ContentScorer s = MakeContentScorer(sc);
  const auto events = Events({3, 0, 2});
  auto state = s.Encode({events});
  std::vector<float> all(5);
  s.ScoreAll(*state, all);
  const std::vector<int32_t> candidates = {4, 2, 0, 3, 1};
  std::vector<float> out(candidates.size());
  s.ScoreCandidates(*state, candidates, out);
  for (size_t i = 0; i < candidates.size(); ++i) EXPECT_FLOAT_EQ(out[i], all[candidates[i]]);
}

TEST(ContentScorerTest, SaveLoadRoundTripGivesIdenticalScores) {
  ContentScoring sc = NoPrior(0.66f);
  sc.prior_weight = 0.003f;
  const ContentScorer s = MakeContentScorer(sc);
  const std::string dir = FreshDir("content_round_trip");
  ASSERT_TRUE(s.Save(dir, ModelManifest{}).ok());
  auto loaded = ContentScorer::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->tokens(), s.tokens());
  const auto events = Events({1, 3});
  std::vector<float> a(5), b(5);
  s.ScoreAll(*s.Encode({events}), a);
  (*loaded)->ScoreAll(*(*loaded)->Encode({events}), b);
  EXPECT_EQ(a, b);
}

}  // namespace
}  // namespace recd
