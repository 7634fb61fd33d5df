#include "train/negative_sampler.h"

#include <cmath>
#include <numeric>
#include <random>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(NegativeSamplerTest, SampleIsDistinctAscendingItemsWithCountsSummingToDraws) {
  const std::vector<int64_t> counts = {50, 0, 3, 9, 0, 120};
  const NegativeSampler sampler(counts, 1.0, 40);
  std::mt19937_64 rng(1);
  NegativeSample sample;
  sampler.Sample(&rng, &sample);
  ASSERT_EQ(sample.items.size(), sample.counts.size());
  EXPECT_TRUE(std::is_sorted(sample.items.begin(), sample.items.end()));
  EXPECT_EQ(std::adjacent_find(sample.items.begin(), sample.items.end()), sample.items.end());
  EXPECT_EQ(std::accumulate(sample.counts.begin(), sample.counts.end(), 0), 40);
}

TEST(NegativeSamplerTest, DrawFrequenciesFollowSmoothedCountsToThePower) {
  const std::vector<int64_t> counts = {0, 3, 15, 99};
  const double power = 0.5;
  const NegativeSampler sampler(counts, power, 1000);
  std::vector<double> drawn(counts.size(), 0);
  std::mt19937_64 rng(2);
  NegativeSample sample;
  for (int round = 0; round < 200; ++round) {
    sampler.Sample(&rng, &sample);
    for (size_t k = 0; k < sample.items.size(); ++k) drawn[sample.items[k]] += sample.counts[k];
  }
  // (count + 1)^0.5 = 1, 2, 4, 10 out of 17.
  const std::vector<double> expected = {1.0 / 17, 2.0 / 17, 4.0 / 17, 10.0 / 17};
  for (size_t i = 0; i < counts.size(); ++i) {
    EXPECT_NEAR(drawn[i] / 200000.0, expected[i], 0.005) << "item " << i;
    // The logQ correction is the log of the expected draws per sample.
    EXPECT_NEAR(sampler.log_expected_count()[i], std::log(1000 * expected[i]), 1e-5)
        << "item " << i;
  }
}

TEST(NegativeSamplerTest, PowerZeroIsUniformEvenForItemsNeverSeen) {
  const std::vector<int64_t> counts = {0, 1000, 0, 7};
  const NegativeSampler sampler(counts, 0.0, 8);
  for (float log_expected : sampler.log_expected_count())
    EXPECT_NEAR(log_expected, std::log(2.0f), 1e-6);
}

}  // namespace
}  // namespace recd
