#include "server/experiments.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

absl::StatusOr<ExperimentConfig> ParseExperiments(const std::string& yaml) { return ExperimentConfig::FromYaml(YAML::Load(yaml)); }

TEST(ExperimentsTest, HalvesGetHalfTheUsersEachWithinTwoPercent) {
  int in_first = 0;
  for (int u = 0; u < 10000; ++u) in_first += ExperimentBucket("exp-1", "u" + std::to_string(u)) < 5000;
  EXPECT_NEAR(in_first, 5000, 200);
}

TEST(ExperimentsTest, BucketIsAPureFunctionOfSaltAndUser) {
  // Two daemons, or one across a restart, compute the same bucket.
  EXPECT_EQ(ExperimentBucket("exp-1", "u42"), ExperimentBucket("exp-1", "u42"));
  // A new salt reshuffles: about half the users change halves.
  int moved = 0;
  for (int u = 0; u < 2000; ++u) {
    const std::string user = "u" + std::to_string(u);
    moved += (ExperimentBucket("exp-1", user) < 5000) != (ExperimentBucket("exp-2", user) < 5000);
  }
  EXPECT_NEAR(moved, 1000, 150);
}

TEST(ExperimentsTest, ArmsFollowTheirShares) {
  ExperimentArms arms("s", {{"small", 2000, nullptr, nullptr}, {"large", ExperimentConfig::kBuckets, nullptr, nullptr}});
  int small = 0;
  for (int u = 0; u < 10000; ++u) small += arms.For("u" + std::to_string(u)).name == "small";
  EXPECT_NEAR(small, 2000, 200);
}

TEST(ExperimentsTest, ParsesArmsWithAndWithoutAFusionProfile) {
  auto c = ParseExperiments(R"(
salt: spring
arms:
  - {name: control, share: 0.5}
  - {name: knn_heavy, share: 0.5, fusion: {weights: {knn: 1.0, pop: 0.1}}}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->salt, "spring");
  ASSERT_EQ(c->arms.size(), 2u);
  EXPECT_FALSE(c->arms[0].fusion.has_value());
  ASSERT_TRUE(c->arms[1].fusion.has_value());
  EXPECT_EQ(c->arms[1].fusion->weights.at("knn"), 1.0);
}

TEST(ExperimentsTest, AnArmMayNameAProfileTheBundleShips) {
  auto c = ParseExperiments("salt: s\narms: [{name: a, share: 0.5}, {name: b, share: 0.5, bundle_fusion: rank}]");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->arms[1].bundle_fusion, "rank");
  EXPECT_FALSE(c->arms[1].fusion.has_value());
}

TEST(ExperimentsTest, BadConfigsNameTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"arms: [{name: a, share: 0.5}, {name: b, share: 0.5}]", "experiments.salt"},
      {"salt: s\narms: [{name: a, share: 0.5}, {name: b, share: 0.4}]", "add up to"},
      {"salt: s\narms: [{name: a, share: 0.5}, {name: a, share: 0.5}]", "experiments.arms[1].name"},
      {"salt: s\narms: [{name: 'a b', share: 0.5}, {name: b, share: 0.5}]", "experiments.arms[0].name"},
      {"salt: s\narms: [{name: a, share: 1.0}]", "experiments.arms"},
      {"salt: s\narms: [{name: a, share: 0}, {name: b, share: 1}]", "experiments.arms[0].share"},
      {"salt: s\narms: [{name: a, share: 0.5, colour: red}, {name: b, share: 0.5}]", "experiments.arms[0].colour"},
      {"salt: s\narms: [{name: a, share: 0.5, fusion: {weights: {knn: -1}}}, {name: b, share: 0.5}]",
       "experiments.arms[0]"},
      {"salt: s\nbuckets: 3\narms: [{name: a, share: 0.5}, {name: b, share: 0.5}]", "experiments.buckets"},
      {"salt: s\narms: [{name: a, share: 0.5, bundle_fusion: rank, fusion: {weights: {knn: 1}}}, "
       "{name: b, share: 0.5}]",
       "experiments.arms[0].bundle_fusion"},
      {"salt: s\narms: [{name: a, share: 0.5, bundle_fusion: ../x}, {name: b, share: 0.5}]",
       "experiments.arms[0].bundle_fusion"},
  };
  for (const auto& [yaml, field] : cases) {
    auto c = ParseExperiments(yaml);
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_TRUE(absl::IsInvalidArgument(c.status())) << yaml;
    EXPECT_THAT(std::string(c.status().message()), HasSubstr(field)) << yaml;
  }
}

}  // namespace
}  // namespace recd
