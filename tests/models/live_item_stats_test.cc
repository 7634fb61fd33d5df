#include "models/live_item_stats.h"

#include <vector>

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"

namespace recd {
namespace {

using testing_util::kLiveStart;
using testing_util::Views;

LiveStatsOptions Options() {
  LiveStatsOptions o;
  o.half_life = absl::Hours(1);
  o.pair_window = 2;
  o.shrink = 1.0;
  return o;
}

float At(std::span<const ItemScore> row, int32_t item) {
  for (const ItemScore& s : row) {
    if (s.item == item) return s.score;
  }
  return 0;
}

TEST(LiveItemStatsTest, CountsEachEventWithItsTypeWeight) {
  LiveItemStats live(5, Options(), kLiveStart);
  std::vector<Event> history = {{1, EventType::kView, 0}, {2, EventType::kPurchase, 0}};
  live.Record(history, 2, kLiveStart);
  ASSERT_TRUE(live.Publish(kLiveStart));
  const auto snap = live.Snapshot();
  ASSERT_EQ(snap->popularity.size(), 2u);
  EXPECT_FLOAT_EQ(At(snap->popularity, 1), 1.0f);
  EXPECT_FLOAT_EQ(At(snap->popularity, 2), EventWeights{}.purchase);
  EXPECT_EQ(snap->popular, (std::vector<int32_t>{2, 1}));
}

TEST(LiveItemStatsTest, OnlyTheAppendedEventsCount) {
  LiveItemStats live(5, Options(), kLiveStart);
  live.Record(Views({0, 1, 2}), 1, kLiveStart);  // 0 and 1 were counted before this overlay
  live.Publish(kLiveStart);
  const auto snap = live.Snapshot();
  EXPECT_EQ(snap->popularity.size(), 1u);
  EXPECT_FLOAT_EQ(At(snap->popularity, 2), 1.0f);
  // ...but they are the new event's context: it pairs with both.
  EXPECT_GT(At(LiveSnapshot::Row(snap->cooccurrence, 2), 0), 0);
  EXPECT_GT(At(LiveSnapshot::Row(snap->cooccurrence, 1), 2), 0);
}

TEST(LiveItemStatsTest, EventsPairOnlyWithinTheWindow) {
  LiveItemStats live(5, Options(), kLiveStart);
  live.Record(Views({0, 1, 2, 3}), 4, kLiveStart);
  live.Publish(kLiveStart);
  const auto snap = live.Snapshot();
  const auto row3 = LiveSnapshot::Row(snap->cooccurrence, 3);
  EXPECT_GT(At(row3, 2), 0);
  EXPECT_GT(At(row3, 1), 0);
  EXPECT_EQ(At(row3, 0), 0) << "item 0 is three events before item 3; the window is 2";
  // Symmetric: c(1, 3) = 1 (one pair), n_1 = n_3 = 1, so 1 / (1 + shrink).
  EXPECT_FLOAT_EQ(At(LiveSnapshot::Row(snap->cooccurrence, 1), 3), 0.5f);
}

TEST(LiveItemStatsTest, TransitionsAreFromTheEventJustBefore) {
  LiveItemStats live(5, Options(), kLiveStart);
  live.Record(Views({0, 1}), 2, kLiveStart);
  live.Record(Views({0, 2}), 2, kLiveStart);
  live.Record(Views({0, 2}), 1, kLiveStart);  // only the last event: 2, after 0
  live.Publish(kLiveStart);
  const auto snap = live.Snapshot();
  // Out of 0: one to 1, two to 2; P(b | 0) = t(0 -> b) / (3 + shrink).
  const auto row0 = LiveSnapshot::Row(snap->transitions, 0);
  EXPECT_FLOAT_EQ(At(row0, 1), 1.0f / 4.0f);
  EXPECT_FLOAT_EQ(At(row0, 2), 2.0f / 4.0f);
  EXPECT_TRUE(LiveSnapshot::Row(snap->transitions, 1).empty()) << "nothing followed item 1";
}

TEST(LiveItemStatsTest, CountsHalveEveryHalfLife) {
  LiveItemStats live(5, Options(), kLiveStart);
  live.Record(Views({1}), 1, kLiveStart);
  live.Record(Views({1}), 1, kLiveStart + absl::Hours(2));
  live.Publish(kLiveStart + absl::Hours(3));
  // 2^-3 + 2^-1
  EXPECT_FLOAT_EQ(At(live.Snapshot()->popularity, 1), 0.125f + 0.5f);
}

TEST(LiveItemStatsTest, DecayStaysExactAcrossAFoldOfTheScale) {
  LiveStatsOptions o = Options();
  o.half_life = absl::Minutes(1);
  LiveItemStats live(5, o, kLiveStart);
  live.Record(Views({1}), 1, kLiveStart);
  // 70 half-lives later the stored scale is folded back in.
  live.Record(Views({2}), 1, kLiveStart + absl::Minutes(70));
  live.Record(Views({2}), 1, kLiveStart + absl::Minutes(71));
  live.Publish(kLiveStart + absl::Minutes(72));
  const auto snap = live.Snapshot();
  EXPECT_NEAR(At(snap->popularity, 2), 0.25 + 0.5, 1e-6);
  EXPECT_NEAR(At(snap->popularity, 1), 0.0, 1e-6);
}

TEST(LiveItemStatsTest, MaxPairsBoundsTheEntriesAndKeepsTheStrongest) {
  LiveStatsOptions o = Options();
  o.max_pairs = 20;
  LiveItemStats live(1000, o, kLiveStart);
  // A strong pair, seen often...
  for (int i = 0; i < 10; ++i) live.Record(Views({500, 501}), 1, kLiveStart);
  // ...then many pairs seen once.
  for (int32_t i = 0; i < 200; i += 2) live.Record(Views({i, i + 1}), 1, kLiveStart + absl::Minutes(1));
  const LiveItemStats::Stats stats = live.stats();
  EXPECT_LE(stats.pairs, 20);
  EXPECT_GT(stats.pruned, 0);
  EXPECT_GT(stats.memory_bytes, 0);
  live.Publish(kLiveStart + absl::Minutes(1));
  EXPECT_GT(At(LiveSnapshot::Row(live.Snapshot()->cooccurrence, 500), 501), 0) << "the strongest pair was dropped";
}

TEST(LiveItemStatsTest, ASnapshotKeepsEachItemsStrongestNeighbours) {
  LiveStatsOptions o = Options();
  o.pair_window = 1;
  o.max_neighbours = 2;
  LiveItemStats live(10, o, kLiveStart);
  // Item 0 is seen with 1 (three times), 2 (twice), 3 and 4 (once each).
  for (int32_t other : {1, 1, 1, 2, 2, 3, 4}) live.Record(Views({0, other}), 1, kLiveStart);
  live.Publish(kLiveStart);
  const auto row = LiveSnapshot::Row(live.Snapshot()->cooccurrence, 0);
  ASSERT_EQ(row.size(), 2u);
  EXPECT_EQ(row[0].item, 1);
  EXPECT_EQ(row[1].item, 2);
  EXPECT_EQ(live.stats().pairs, 4 * 2 + 4) << "the counts keep all; only the snapshot is cut";
}

TEST(LiveItemStatsTest, ForgetTakesBackWhatRecordAdded) {
  LiveItemStats live(5, Options(), kLiveStart);
  live.Record(Views({0, 1, 2}), 3, kLiveStart);
  live.Publish(kLiveStart);
  ASSERT_FALSE(live.Snapshot()->cooccurrence.empty());
  live.Forget(Views({0, 1, 2}), kLiveStart);
  live.Publish(kLiveStart);
  const auto snap = live.Snapshot();
  EXPECT_TRUE(snap->popularity.empty());
  EXPECT_TRUE(snap->cooccurrence.empty());
  EXPECT_TRUE(snap->transitions.empty());
  EXPECT_EQ(live.stats().forgotten, 3);
}

TEST(LiveItemStatsTest, ForgetNeverGoesBelowZeroForOthers) {
  LiveItemStats live(5, Options(), kLiveStart);
  live.Record(Views({0, 1}), 2, kLiveStart);                      // another user's
  live.Forget(Views({0, 1, 0, 1, 0, 1}), kLiveStart);              // more than was ever counted
  live.Record(Views({3}), 1, kLiveStart);
  live.Publish(kLiveStart);
  const auto snap = live.Snapshot();
  EXPECT_EQ(snap->popularity.size(), 1u);
  EXPECT_FLOAT_EQ(At(snap->popularity, 3), 1.0f);
}

TEST(LiveItemStatsTest, PublishesOnlyWhenCountsChanged) {
  LiveItemStats live(5, Options(), kLiveStart);
  EXPECT_EQ(live.generation(), 0u);
  EXPECT_FALSE(live.Publish(kLiveStart));
  live.Record(Views({1}), 1, kLiveStart);
  EXPECT_TRUE(live.dirty());
  EXPECT_TRUE(live.Publish(kLiveStart));
  EXPECT_EQ(live.generation(), 1u);
  EXPECT_FALSE(live.Publish(kLiveStart + absl::Seconds(1)));
  EXPECT_EQ(live.generation(), 1u);
}

TEST(LiveItemStatsTest, OldestFreshIsTheOldestGenerationLatestWithinTheLag) {
  LiveItemStats live(5, Options(), kLiveStart);
  EXPECT_EQ(live.Snapshot()->OldestFresh(kLiveStart, absl::Seconds(2)), 0u) << "nothing published yet";
  for (int s = 0; s < 4; ++s) {  // generations 1..4 published at t0 + 0, 1, 2, 3 s
    live.Record(Views({1}), 1, kLiveStart + absl::Seconds(s));
    live.Publish(kLiveStart + absl::Seconds(s));
  }
  const auto snap = live.Snapshot();
  ASSERT_EQ(snap->generation, 4u);
  // At t0 + 3.5 s with a 2 s lag: generation 2 was the latest until t0 + 2 s,
  // inside the lag; generation 1 stopped being it at t0 + 1 s.
  EXPECT_EQ(snap->OldestFresh(kLiveStart + absl::Milliseconds(3500), absl::Seconds(2)), 2u);
  EXPECT_EQ(snap->OldestFresh(kLiveStart + absl::Milliseconds(3500), absl::Seconds(0)), 4u);
  EXPECT_EQ(snap->OldestFresh(kLiveStart + absl::Seconds(60), absl::Seconds(2)), 4u) << "quiet since: only the latest";
}

TEST(LiveItemStatsTest, ItemsOutsideTheBundleAreSkipped) {
  LiveItemStats live(3, Options(), kLiveStart);
  const std::vector<Event> history = {{5, EventType::kView, 0}, {-1, EventType::kView, 0}, {1, EventType::kView, 0}};
  live.Record(history, 3, kLiveStart);
  live.Publish(kLiveStart);
  const auto snap = live.Snapshot();
  ASSERT_EQ(snap->popularity.size(), 1u);
  EXPECT_TRUE(snap->cooccurrence.empty());
}

}  // namespace
}  // namespace recd
