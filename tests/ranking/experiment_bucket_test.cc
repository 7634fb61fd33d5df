#include "ranking/experiment_bucket.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;

TEST(ExperimentBucketTest, IsInRangeAndStableForAUser) {
  for (int u = 0; u < 1000; ++u) {
    const std::string user = absl::StrCat("u", u);
    const int bucket = ExperimentBucket("exp-1", user);
    EXPECT_GE(bucket, 0);
    EXPECT_LT(bucket, kExperimentBuckets);
    EXPECT_EQ(bucket, ExperimentBucket("exp-1", user));
  }
}

// Pinned: a change of the hash would move users between arms of running
// experiments, and the daemon and recd-eval --replay would both follow it
// silently.
TEST(ExperimentBucketTest, HashIsPinned) { EXPECT_EQ(ExperimentBucket("exp-1", "u42"), 7884); }

TEST(ArmEndBucketsTest, CumulativeSharesRoundedAndTheLastArmEndsAtTheTop) {
  EXPECT_THAT(ArmEndBuckets(std::vector<double>{0.5, 0.5}), ElementsAre(5000, kExperimentBuckets));
  EXPECT_THAT(ArmEndBuckets(std::vector<double>{0.33333, 0.33333, 0.33334}),
              ElementsAre(3333, 6667, 10000));
  EXPECT_THAT(ArmEndBuckets(std::vector<double>{1.0}), ElementsAre(kExperimentBuckets));
}

}  // namespace
}  // namespace recd
