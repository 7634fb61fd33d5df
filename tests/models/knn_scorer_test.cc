#include "models/knn_scorer.h"

#include <vector>

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"
#include "test_util/test_files.h"

namespace recd {
namespace {

using testing_util::Events;
using testing_util::FreshDir;

// sim(0, 2) = 0.8, sim(1, 2) = 0.4, sim(1, 3) = 0.6.
KnnScorer MakeKnnScorer(KnnScoring scoring) {
  SparseRowMatrix s(4, 4);
  s.insert(0, 2) = 0.8f;
  s.insert(1, 2) = 0.4f;
  s.insert(1, 3) = 0.6f;
  s.makeCompressed();
  return KnnScorer(std::move(s), {1.0f, 0.0f, 0.5f, 0.0f}, scoring);
}

KnnScoring Recency(float decay) {
  KnnScoring sc;
  sc.recency_decay = decay;
  sc.prior_weight = 0.0f;
  sc.event_weights = {1.0f, 1.0f, 1.0f};
  return sc;
}

TEST(KnnScorerTest, RecentItemsWeighMore) {
  const KnnScorer s = MakeKnnScorer(Recency(0.5f));
  const auto events = Events({0, 1});  // item 1 weighs 1, item 0 weighs 0.5
  std::vector<float> out(4);
  s.ScoreAll(*s.Encode({events}), out);
  EXPECT_FLOAT_EQ(out[2], 0.5f * 0.8f + 0.4f);
  EXPECT_FLOAT_EQ(out[3], 0.6f);
  EXPECT_FLOAT_EQ(out[0], 0.0f);
}

TEST(KnnScorerTest, EventTypeScalesContribution) {
  KnnScoring sc = Recency(1.0f);
  sc.event_weights = EventWeights{};
  const KnnScorer s = MakeKnnScorer(sc);
  std::vector<Event> events = {{1, EventType::kView, 0}, {0, EventType::kCart, 1}};
  std::vector<float> out(4);
  s.ScoreAll(*s.Encode({events}), out);
  const EventWeights w;
  EXPECT_FLOAT_EQ(out[2], w.cart * 0.8f + w.view * 0.4f);
}

TEST(KnnScorerTest, CandidatesMatchScoreAll) {
  KnnScoring sc = Recency(0.7f);
  sc.prior_weight = 0.01f;
  const KnnScorer s = MakeKnnScorer(sc);
  const auto events = Events({1, 0, 3});
  auto state = s.Encode({events});
  std::vector<float> all(4);
  s.ScoreAll(*state, all);
  const std::vector<int32_t> candidates = {2, 3, 0, 1};
  std::vector<float> out(candidates.size());
  s.ScoreCandidates(*state, candidates, out);
  for (size_t i = 0; i < candidates.size(); ++i) EXPECT_FLOAT_EQ(out[i], all[candidates[i]]);
}

TEST(KnnScorerTest, SaveLoadRoundTripGivesIdenticalScores) {
  KnnScoring sc = Recency(0.61f);
  sc.history_items = 5;
  sc.prior_weight = 0.002f;
  sc.event_weights.cart = 2.5f;
  const KnnScorer s = MakeKnnScorer(sc);
  const std::string dir = FreshDir("knn_round_trip");
  ASSERT_TRUE(s.Save(dir, ModelManifest{}).ok());
  auto loaded = KnnScorer::Load(dir);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->scoring().event_weights.cart, 2.5f);
  EXPECT_EQ((*loaded)->scoring().history_items, 5);
  std::vector<Event> events = {{1, EventType::kCart, 0}, {0, EventType::kView, 1}};
  std::vector<float> a(4), b(4);
  s.ScoreAll(*s.Encode({events}), a);
  (*loaded)->ScoreAll(*(*loaded)->Encode({events}), b);
  EXPECT_EQ(a, b);
  EXPECT_EQ((*loaded)->TopNeighbours(1, 2), s.TopNeighbours(1, 2));
}

TEST(KnnScorerTest, LoadOfMissingDirectoryFails) {
  EXPECT_FALSE(KnnScorer::Load(FreshDir("knn_missing")).ok());
}

}  // namespace
}  // namespace recd
