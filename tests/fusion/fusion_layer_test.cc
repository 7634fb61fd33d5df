#include "fusion/fusion_layer.h"

#include <cmath>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::ElementsAre;
using ::testing::FloatNear;

TEST(FusionLayerTest, ZScoreHasZeroMeanUnitVariance) {
  std::vector<float> raw = {1, 2, 3, 4}, out(4);
  FusionLayer::Normalize(Normalization::kZScore, raw, out);
  const float sd = std::sqrt(1.25f);
  EXPECT_THAT(out, ElementsAre(FloatNear(-1.5f / sd, 1e-5), FloatNear(-0.5f / sd, 1e-5),
                               FloatNear(0.5f / sd, 1e-5), FloatNear(1.5f / sd, 1e-5)));
}

TEST(FusionLayerTest, ZScoreOnCatalogMomentsIgnoresWhichItemsAreScored) {
  // Two requests ranking different items of one user: the same item gets
  // the same normalised score, from the model's moments over the catalog.
  const ScoreMoments catalog{2.0, 4.0};
  std::vector<float> few = {10, 6}, more = {6, 0, -2}, a(2), b(3);
  FusionLayer::Normalize(Normalization::kZScore, few, a, catalog);
  FusionLayer::Normalize(Normalization::kZScore, more, b, catalog);
  EXPECT_THAT(a, ElementsAre(2.0f, 1.0f));
  EXPECT_THAT(b, ElementsAre(1.0f, -0.5f, -1.0f));
}

TEST(FusionLayerTest, ConstantScoresNormaliseToZero) {
  std::vector<float> raw = {7, 7, 7}, out(3);
  FusionLayer::Normalize(Normalization::kZScore, raw, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 0.0f, 0.0f));
  FusionLayer::Normalize(Normalization::kMinMax, raw, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 0.0f, 0.0f));
}

TEST(FusionLayerTest, MinMaxAndRankMapToUnitInterval) {
  std::vector<float> raw = {10, 30, 20}, out(3);
  FusionLayer::Normalize(Normalization::kMinMax, raw, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 1.0f, 0.5f));
  FusionLayer::Normalize(Normalization::kRank, raw, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 1.0f, 0.5f));
}

TEST(FusionLayerTest, NonFiniteScoresRankLowest) {
  std::vector<float> raw = {std::numeric_limits<float>::quiet_NaN(), 1, 2}, out(3);
  FusionLayer::Normalize(Normalization::kMinMax, raw, out);
  EXPECT_THAT(out, ElementsAre(0.0f, 0.0f, 1.0f));
}

TEST(FusionLayerTest, ReciprocalRanksUseOneBasedRanks) {
  std::vector<float> raw = {0.1f, 0.9f}, out(2);
  FusionLayer::ReciprocalRanks(60, raw, out);
  EXPECT_THAT(out, ElementsAre(FloatNear(1.0f / 62, 1e-7), FloatNear(1.0f / 61, 1e-7)));
}

TEST(FusionLayerTest, BlendIsWeightedSumOfNormalisedScores) {
  FusionConfig config;
  config.normalization = Normalization::kMinMax;
  std::vector<ModelScores> models(2);
  models[0].model = "a";
  models[0].raw = {0, 1, 2};
  models[1].model = "b";
  models[1].raw = {4, 2, 0};
  std::vector<float> fused(3);
  FusionLayer::Blend(config, {{"a", 2.0}, {"b", 1.0}}, models, fused);
  EXPECT_THAT(fused, ElementsAre(FloatNear(1.0f, 1e-6), FloatNear(1.5f, 1e-6), FloatNear(2.0f, 1e-6)));
  EXPECT_EQ(models[0].weight, 2.0);
}

TEST(FusionLayerTest, UnnamedModelGetsZeroWeight) {
  FusionConfig config;
  std::vector<ModelScores> models(1);
  models[0].model = "x";
  models[0].raw = {1, 2};
  std::vector<float> fused(2);
  FusionLayer::Blend(config, {{"a", 1.0}}, models, fused);
  EXPECT_THAT(fused, ElementsAre(0.0f, 0.0f));
  EXPECT_EQ(models[0].weight, 0.0);
}

}  // namespace
}  // namespace recd
