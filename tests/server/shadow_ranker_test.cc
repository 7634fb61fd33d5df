#include "server/shadow_ranker.h"

#include "gtest/gtest.h"

namespace recd {
namespace {

int SampledOf(double fraction, int calls) {
  ShadowRanker ranker(nullptr);
  ShadowTarget target;
  target.fraction = fraction;
  int sampled = 0;
  for (int i = 0; i < calls; ++i) sampled += ranker.Sample(target);
  return sampled;
}

TEST(ShadowRankerTest, SamplesExactlyTheFraction) {
  EXPECT_EQ(SampledOf(0.1, 1000), 100);
  EXPECT_EQ(SampledOf(0.25, 1000), 250);
  EXPECT_EQ(SampledOf(1.0, 37), 37);
  EXPECT_EQ(SampledOf(0.5, 1), 0);  // one in two: the second call
}

TEST(ShadowRankerTest, SamplesAreEvenlySpread) {
  ShadowRanker ranker(nullptr);
  ShadowTarget target;
  target.fraction = 0.25;
  for (int i = 0; i < 40; ++i) EXPECT_EQ(ranker.Sample(target), i % 4 == 3) << i;
}

}  // namespace
}  // namespace recd
