#include "models/live_overlay_scorer.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "gtest/gtest.h"
#include "models/knn_scorer.h"
#include "models/markov_scorer.h"
#include "models/pop_scorer.h"
#include "test_util/sequence_data.h"

namespace recd {
namespace {

using testing_util::kLiveStart;
using testing_util::Views;

constexpr int32_t kItems = 6;

// sim(0, 1) = 0.8, sim(1, 2) = 0.4; items 3-5 have no trained neighbours.
std::shared_ptr<const KnnScorer> Knn() {
  SparseRowMatrix s(kItems, kItems);
  s.insert(0, 1) = 0.8f;
  s.insert(1, 0) = 0.8f;
  s.insert(1, 2) = 0.4f;
  s.insert(2, 1) = 0.4f;
  s.makeCompressed();
  KnnScoring scoring;
  scoring.recency_decay = 0.5f;
  scoring.prior_weight = 0.01f;
  return std::make_shared<KnnScorer>(std::move(s), std::vector<float>{6, 5, 4, 3, 2, 1}, scoring);
}

std::shared_ptr<LiveItemStats> Live() {
  LiveStatsOptions o;
  o.pair_window = 1;
  return std::make_shared<LiveItemStats>(kItems, o, kLiveStart);
}

// What the scorer adds, measured as the difference with its base.
std::vector<float> Added(const Scorer& overlaid, const Scorer& base, const std::vector<Event>& history) {
  std::vector<float> with(kItems), without(kItems);
  overlaid.ScoreAll(*overlaid.Encode({history}), with);
  base.ScoreAll(*base.Encode({history}), without);
  for (int i = 0; i < kItems; ++i) with[i] -= without[i];
  return with;
}

TEST(LiveOverlayScorerTest, WithoutLiveEventsScoresAreTheModels) {
  auto base = Knn();
  auto live = Live();
  LiveOverlayScorer s(base, LiveOverlayKind::kCooccurrence, *base->recent_items_weighting(), 1.0f, live);
  for (float d : Added(s, *base, Views({0, 2}))) EXPECT_EQ(d, 0.0f);
}

TEST(LiveOverlayScorerTest, LiveCooccurrenceAddsToTheRecentItemsRows) {
  auto base = Knn();
  auto live = Live();
  live->Record(Views({1, 4}), 2, kLiveStart);  // someone viewed 1 then 4
  live->Publish(kLiveStart);
  LiveOverlayScorer s(base, LiveOverlayKind::kCooccurrence, *base->recent_items_weighting(), 2.0f, live);
  // The user's last item is 1 (weight 1); before it 0 (weight 0.5, no live row).
  const std::vector<float> added = Added(s, *base, Views({0, 1}));
  const float cosine = 1.0f / (1.0f + 1.0f);  // one pair, each item seen once, shrink 1
  EXPECT_FLOAT_EQ(added[4], 2.0f * 1.0f * cosine);
  for (int i : {0, 1, 2, 3, 5}) EXPECT_EQ(added[i], 0.0f) << i;
}

TEST(LiveOverlayScorerTest, CandidatesScoreAsTheWholeCatalog) {
  auto base = Knn();
  auto live = Live();
  live->Record(Views({1, 4, 5, 1}), 4, kLiveStart);
  live->Publish(kLiveStart);
  LiveOverlayScorer s(base, LiveOverlayKind::kCooccurrence, *base->recent_items_weighting(), 1.0f, live);
  const auto state = s.Encode({Views({2, 1})});
  std::vector<float> all(kItems);
  s.ScoreAll(*state, all);
  const std::vector<int32_t> candidates = {5, 0, 4, 3};
  std::vector<float> some(candidates.size());
  s.ScoreCandidates(*state, candidates, some);
  for (size_t i = 0; i < candidates.size(); ++i) EXPECT_FLOAT_EQ(some[i], all[candidates[i]]);
}

TEST(LiveOverlayScorerTest, CatalogMomentsAreThoseOfTheOverlaidScores) {
  auto base = Knn();
  auto live = Live();
  live->Record(Views({1, 4, 5, 1, 3}), 5, kLiveStart);
  live->Publish(kLiveStart);
  LiveOverlayScorer s(base, LiveOverlayKind::kCooccurrence, *base->recent_items_weighting(), 1.0f, live);
  const auto state = s.Encode({Views({0, 1})});
  std::vector<float> all(kItems);
  s.ScoreAll(*state, all);
  double mean = 0, sq = 0;
  for (float x : all) mean += x / kItems;
  for (float x : all) sq += (x - mean) * (x - mean) / kItems;
  const auto moments = s.CatalogMoments(*state);
  ASSERT_TRUE(moments.has_value());
  EXPECT_NEAR(moments->mean, mean, 1e-6);
  EXPECT_NEAR(moments->sd, std::sqrt(sq), 1e-6);
}

TEST(LiveOverlayScorerTest, NominatesAnItemOnlyLiveEventsLinkToTheUser) {
  auto base = Knn();
  auto live = Live();
  live->Record(Views({1, 5}), 2, kLiveStart);
  live->Publish(kLiveStart);
  LiveOverlayScorer s(base, LiveOverlayKind::kCooccurrence, *base->recent_items_weighting(), 1.0f, live);
  ASSERT_TRUE(s.nominates_directly());
  std::vector<int32_t> out;
  s.Nominate(*s.Encode({Views({1})}), 3, out);
  EXPECT_LE(out.size(), 3u);
  EXPECT_NE(std::find(out.begin(), out.end(), 5), out.end()) << "item 5 is linked to 1 only by live events";
}

TEST(LiveOverlayScorerTest, ItemSimilarityIncludesTheLiveOne) {
  auto base = Knn();
  auto live = Live();
  LiveOverlayScorer s(base, LiveOverlayKind::kCooccurrence, *base->recent_items_weighting(), 1.0f, live);
  EXPECT_EQ(s.ItemSimilarity(1, 4), 0.0f);
  live->Record(Views({1, 4}), 2, kLiveStart);
  live->Publish(kLiveStart);
  EXPECT_FLOAT_EQ(s.ItemSimilarity(1, 4), 0.5f);
  EXPECT_FLOAT_EQ(s.ItemSimilarity(0, 1), 0.8f) << "the trained similarity stays";
}

TEST(LiveOverlayScorerTest, TransitionsOverlayMarkov) {
  SparseRowMatrix t(kItems, kItems);
  t.insert(0, 1) = 1.0f;
  t.makeCompressed();
  MarkovScoring scoring;
  scoring.history_items = 1;
  scoring.prior_weight = 0;
  auto base = std::make_shared<MarkovScorer>(std::move(t), std::vector<float>(kItems, 0.0f), scoring);
  auto live = Live();
  live->Record(Views({0, 3}), 2, kLiveStart);  // a live transition 0 -> 3
  live->Record(Views({3, 0}), 2, kLiveStart);  // and 3 -> 0, which the user's last item 0 does not lead to
  live->Publish(kLiveStart);
  LiveOverlayScorer s(base, LiveOverlayKind::kTransitions, *base->recent_items_weighting(), 1.0f, live);
  const std::vector<float> added = Added(s, *base, Views({0}));
  EXPECT_FLOAT_EQ(added[3], 1.0f / (1.0f + 1.0f));
  EXPECT_EQ(added[0], 0.0f);
}

TEST(LiveOverlayScorerTest, PopularityFollowsABurstAtOnce) {
  auto base = std::make_shared<PopScorer>(std::vector<float>{50, 40, 30, 20, 10, 5});
  auto live = Live();
  LiveOverlayScorer s(base, LiveOverlayKind::kPopularity, RecentItemsWeighting{}, 1.0f, live);
  for (int i = 0; i < 60; ++i) live->Record(Views({5}), 1, kLiveStart);
  live->Publish(kLiveStart);
  const auto state = s.Encode({Views({})});
  std::vector<int32_t> top;
  s.Nominate(*state, 1, top);
  EXPECT_EQ(top, (std::vector<int32_t>{5})) << "60 live views on top of 5 trained beat item 0's 50";
  std::vector<float> all(kItems);
  s.ScoreAll(*state, all);
  EXPECT_FLOAT_EQ(all[5], 65.0f);
  const auto moments = s.CatalogMoments(*state);
  ASSERT_TRUE(moments.has_value());
  double mean = 0;
  for (float x : all) mean += x / kItems;
  EXPECT_NEAR(moments->mean, mean, 1e-4);
}

TEST(LiveOverlayScorerTest, WithLiveOverlayWrapsItemStatisticsModelsOnly) {
  IdMap items;
  for (int i = 0; i < kItems; ++i) items.GetOrAdd("i" + std::to_string(i));
  std::vector<std::unique_ptr<Scorer>> scorers;
  scorers.push_back(std::make_unique<PopScorer>(std::vector<float>(kItems, 1.0f)));
  SparseRowMatrix s(kItems, kItems);
  s.makeCompressed();
  scorers.push_back(std::make_unique<KnnScorer>(s, std::vector<float>(kItems, 0.0f), KnnScoring{}));
  auto bundle = ModelBundle::FromScorers(items, std::move(scorers), FusionConfig{});
  auto overlaid = WithLiveOverlay(*bundle, Live(), LiveOverlayWeights{});
  EXPECT_EQ(overlaid->version(), bundle->version());
  EXPECT_EQ(overlaid->num_items(), kItems);
  ASSERT_EQ(overlaid->scorers().size(), 3u);
  EXPECT_NE(overlaid->scorers()[0], bundle->scorers()[0]);
  EXPECT_EQ(overlaid->scorers()[0]->name(), "pop");
  EXPECT_EQ(overlaid->scorers()[1]->name(), "knn");
  EXPECT_EQ(overlaid->scorers()[2]->name(), kLiveModelName);  // the live co-occurrence as a model of its own
}

TEST(LiveOverlayScorerTest, TheLiveModelScoresWhatTheKnnOverlayAdds) {
  auto knn = Knn();
  auto live = Live();
  live->Record(Views({1, 4, 5, 1}), 4, kLiveStart);
  live->Publish(kLiveStart);
  const RecentItemsWeighting weighting = *knn->recent_items_weighting();
  LiveOverlayScorer overlay(knn, LiveOverlayKind::kCooccurrence, weighting, 1.0f, live);
  const auto model = MakeLiveModel(kItems, weighting, live);
  const std::vector<Event> history = Views({2, 1});
  const std::vector<float> added = Added(overlay, *knn, history);
  std::vector<float> scores(kItems);
  const auto state = model->Encode({history});
  model->ScoreAll(*state, scores);
  EXPECT_EQ(scores, added);
  EXPECT_GT(scores[4], 0.0f);
  // Its moments are those of its scores over the catalog, exactly.
  double sum = 0, sum_sq = 0;
  for (float v : scores) {
    sum += v;
    sum_sq += static_cast<double>(v) * v;
  }
  const std::optional<ScoreMoments> moments = model->CatalogMoments(*state);
  ASSERT_TRUE(moments.has_value());
  EXPECT_NEAR(moments->mean, sum / kItems, 1e-6);
  EXPECT_NEAR(moments->sd, std::sqrt(sum_sq / kItems - (sum / kItems) * (sum / kItems)), 1e-6);
  // It nominates the items live events link to the user, and nothing else.
  std::vector<int32_t> nominated;
  model->Nominate(*state, 10, nominated);
  for (int32_t item : nominated) EXPECT_GT(scores[static_cast<size_t>(item)], 0.0f) << item;
  EXPECT_NE(std::find(nominated.begin(), nominated.end(), 4), nominated.end());
}

}  // namespace
}  // namespace recd
