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

TEST(FusionConfigTest, CartProfileIsBuiltInAndFavoursTransitionsOverContent) {
  auto c = Parse("fusion: {weights: {mf: 1}}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cart_profile, "cart");
  const auto* cart = c->Profile("cart");
  ASSERT_NE(cart, nullptr);
  EXPECT_GT(cart->at("markov"), cart->at("content"));
  EXPECT_GT(cart->at("knn"), cart->at("content"));
  EXPECT_EQ(c->Profile("none"), nullptr);
}

TEST(FusionConfigTest, ProfilesAreParsedAndTheCartProfileNamesOne) {
  auto c = Parse(R"(
fusion:
  weights: {mf: 1}
  profiles:
    gift: {knn: 2, content: 0.5}
  cart_profile: gift
)");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->cart_profile, "gift");
  EXPECT_EQ(c->Profile("gift")->at("knn"), 2.0);
  EXPECT_NE(c->Profile("cart"), nullptr);  // the built-in one stays
  // Round trip through the text a bundle ships.
  auto again = Parse(c->ToYaml());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->profiles, c->profiles);
  EXPECT_EQ(again->cart_profile, "gift");
}

TEST(FusionConfigTest, SimilarItemsRankWithTheProfileNamedElseTheOneEventWeights) {
  auto c = Parse("fusion: {weights: {mf: 1}}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->similar_profile, "");
  EXPECT_EQ(c->ToYaml().find("similar_profile"), std::string::npos);
  c = Parse("fusion: {weights: {mf: 1}, profiles: {similar: {knn: 1, mf: 0.5}}, similar_profile: similar}");
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->similar_profile, "similar");
  EXPECT_EQ(c->Profile(c->similar_profile)->at("knn"), 1.0);
  auto again = Parse(c->ToYaml());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->similar_profile, "similar");
  EXPECT_EQ(again->profiles, c->profiles);
}

TEST(FusionConfigTest, BadProfilesAreRejectedNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"fusion: {weights: {mf: 1}, cart_profile: gift}", "fusion.cart_profile"},
      {"fusion: {weights: {mf: 1}, similar_profile: gift}", "fusion.similar_profile"},
      {"fusion: {weights: {mf: 1}, profiles: {gift: {knn: -1}}}", "fusion.profiles.gift.knn"},
      {"fusion: {weights: {mf: 1}, profiles: {gift: {knn: 0}}}", "fusion.profiles.gift"},
      {"fusion: {weights: {mf: 1}, profiles: [1]}", "fusion.profiles"},
  };
  for (const auto& [yaml, field] : cases) {
    auto c = Parse(yaml);
    ASSERT_FALSE(c.ok()) << yaml;
    EXPECT_NE(c.status().message().find(field), absl::string_view::npos) << yaml << " -> " << c.status();
  }
}

TEST(FusionConfigTest, DefaultProfilesAreNotWrittenOut) {
  auto c = Parse("fusion: {weights: {mf: 1}}");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->ToYaml().find("profile"), std::string::npos) << c->ToYaml();
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
