#include "train/pop_builder.h"

#include "gtest/gtest.h"
#include "test_util/sequence_data.h"

namespace recd {
namespace {

using testing_util::MakeSequences;

TEST(PopBuilderTest, PlainCountsByDefault) {
  auto m = BuildPop(MakeSequences(3, {{0, 1}, {1, 1}, {2}}), PopBuilderOptions{});
  ASSERT_TRUE(m.ok()) << m.status();
  const float p = EventWeights{}.purchase;
  EXPECT_FLOAT_EQ((*m)->scores()[0], 1 * p);
  EXPECT_FLOAT_EQ((*m)->scores()[1], 3 * p);
  EXPECT_FLOAT_EQ((*m)->scores()[2], 1 * p);
}

TEST(PopBuilderTest, TimestampDecayHalvesPerHalfLife) {
  Dataset d = MakeSequences(2, {{0}, {1}}, EventType::kView);
  d.histories[0][0].timestamp = 100;  // newest: weight 1
  d.histories[1][0].timestamp = 80;   // two half-lives old: weight 0.25
  PopBuilderOptions o;
  o.half_life = 10.0;
  auto m = BuildPop(d, o);
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->scores()[0], 1.0f);
  EXPECT_FLOAT_EQ((*m)->scores()[1], 0.25f);
}

TEST(PopBuilderTest, PositionClockDecaysFromEachHistoryEnd) {
  PopBuilderOptions o;
  o.half_life = 1.0;
  o.clock = PopBuilderOptions::Clock::kPositionFromEnd;
  o.event_weights = {1.0f, 1.0f, 1.0f};
  auto m = BuildPop(MakeSequences(3, {{0, 1, 2}, {2}}), o);
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->scores()[0], 0.25f);
  EXPECT_FLOAT_EQ((*m)->scores()[1], 0.5f);
  EXPECT_FLOAT_EQ((*m)->scores()[2], 2.0f);
}

TEST(PopBuilderTest, LastNPerUserCountsOnlyRecentEvents) {
  PopBuilderOptions o;
  o.last_n_per_user = 1;
  o.event_weights = {1.0f, 1.0f, 1.0f};
  auto m = BuildPop(MakeSequences(3, {{0, 0, 1}, {0, 2}}), o);
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->scores()[0], 0.0f);
  EXPECT_FLOAT_EQ((*m)->scores()[1], 1.0f);
  EXPECT_FLOAT_EQ((*m)->scores()[2], 1.0f);
}

TEST(PopBuilderTest, EventTypesWeighCounts) {
  Dataset d = MakeSequences(2, {{0}, {1}});
  d.histories[0][0].type = EventType::kView;
  d.histories[1][0].type = EventType::kCart;
  auto m = BuildPop(d, PopBuilderOptions{});
  ASSERT_TRUE(m.ok());
  EXPECT_FLOAT_EQ((*m)->scores()[0], EventWeights{}.view);
  EXPECT_FLOAT_EQ((*m)->scores()[1], EventWeights{}.cart);
}

TEST(PopBuilderTest, RejectsNegativeHalfLife) {
  PopBuilderOptions o;
  o.half_life = -1.0;
  EXPECT_FALSE(BuildPop(MakeSequences(1, {{0}}), o).ok());
}

}  // namespace
}  // namespace recd
