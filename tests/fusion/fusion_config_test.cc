#include "recd/fusion_config.h"

#include <filesystem>
#include <fstream>

#include "gtest/gtest.h"
#include "yaml-cpp/yaml.h"

namespace recd {
namespace {

absl::StatusOr<FusionConfig> Parse(const std::string& text) {
  return FusionConfig::FromYaml(YAML::Load(text)["fusion"]);
}

TEST(FusionConfigTest, ParsesWeightsAndSegments) {
  auto c = Parse(R"(
fusion:
  version: v7
  normalization: rank
  weights: {mf: 0.5, lstm: 1}
  segments:
    - {name: cold, max_history: 0, weights: {pop: 1}}
    - {name: short, max_history: 3, weights: {pop: 0.5, lstm: 0.5}}
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->version, "v7");
  EXPECT_EQ(c->normalization, Normalization::kRank);
  EXPECT_EQ(c->weights.at("mf"), 0.5);
  EXPECT_EQ(c->WeightsFor(0).at("pop"), 1.0);
  EXPECT_EQ(c->WeightsFor(3).at("lstm"), 0.5);
  EXPECT_EQ(c->WeightsFor(4).at("lstm"), 1.0);
}

TEST(FusionConfigTest, NegativeWeightIsRejectedNamingTheField) {
  auto c = Parse("fusion: {weights: {mf: -1}}");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("fusion.weights.mf"), absl::string_view::npos) << c.status();
}

TEST(FusionConfigTest, UnknownFieldAndBadEnumAreRejected) {
  EXPECT_FALSE(Parse("fusion: {weights: {mf: 1}, wieghts: {}}").ok());
  auto c = Parse("fusion: {weights: {mf: 1}, normalization: softmax}");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("fusion.normalization"), absl::string_view::npos);
}

TEST(FusionConfigTest, AllZeroWeightsAreRejected) {
  EXPECT_FALSE(Parse("fusion: {weights: {mf: 0, lstm: 0}}").ok());
}

TEST(FusionConfigTest, SegmentsMustAscend) {
  EXPECT_FALSE(Parse(R"(
fusion:
  weights: {mf: 1}
  segments: [{max_history: 3, weights: {a: 1}}, {max_history: 1, weights: {a: 1}}]
)").ok());
}

TEST(FusionConfigTest, YamlRoundTrip) {
  FusionConfig c;
  c.version = "t1";
  c.method = FusionMethod::kReciprocalRank;
  c.weights = {{"knn", 0.25}, {"markov", 1.5}};
  c.segments.push_back({"cold", 0, {{"pop", 1.0}}});
  auto path = std::filesystem::temp_directory_path() / "recd_fusion_roundtrip.yaml";
  std::ofstream(path) << c.ToYaml();
  auto back = FusionConfig::LoadFile(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->version, "t1");
  EXPECT_EQ(back->method, FusionMethod::kReciprocalRank);
  EXPECT_EQ(back->weights, c.weights);
  ASSERT_EQ(back->segments.size(), 1u);
  EXPECT_EQ(back->segments[0].weights, c.segments[0].weights);
}

TEST(FusionConfigTest, MissingFileNamesThePath) {
  auto c = FusionConfig::LoadFile("/nonexistent/fusion.yaml");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.status().message().find("/nonexistent/fusion.yaml"), absl::string_view::npos);
}

// Found by tests/fuzz/server_config_fuzz.cc: a fusion.yaml whose root is a
// scalar or a list made operator[] throw out of LoadFile (std::terminate).
TEST(FusionConfigTest, FileWhoseRootIsNotAMappingIsAnError) {
  for (const char* text : {"just a scalar\n", "- fusion\n- weights\n"}) {
    const auto path = std::filesystem::temp_directory_path() / "recd_fusion_not_a_map.yaml";
    std::ofstream(path) << text;
    auto c = FusionConfig::LoadFile(path);
    ASSERT_FALSE(c.ok()) << text;
    EXPECT_NE(c.status().message().find(path.string()), absl::string_view::npos) << c.status();
  }
}

}  // namespace
}  // namespace recd
