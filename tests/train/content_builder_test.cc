#include "train/content_builder.h"

#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "test_util/sequence_data.h"

namespace recd {
namespace {

using testing_util::MakeSequences;
using ::testing::ElementsAre;

ContentBuilderOptions PlainTfIdf() {
  ContentBuilderOptions o;
  o.idf_power = 1.0f;
  return o;
}

TEST(ContentTokensTest, CoversEveryField) {
  ItemInfo info;
  info.attributes = {"7"};
  info.category_path = {"Beauty", "Skin"};
  info.brand = "NiVea";
  info.price = 10.0f;  // log2(10) = 3.3 -> bucket 3
  info.title = "Soft Shoe, size-10 a";
  EXPECT_THAT(ContentTokens(info, ContentBuilderOptions{}),
              ElementsAre("attr:7", "cat:Beauty", "cat:Beauty>Skin", "brand:nivea", "price:3",
                          "title:soft", "title:shoe", "title:size", "title:10"));
}

TEST(ContentTokensTest, ZeroWeightDropsField) {
  ItemInfo info;
  info.attributes = {"7"};
  info.brand = "Acme";
  ContentBuilderOptions o;
  o.brand_weight = 0.0f;
  EXPECT_THAT(ContentTokens(info, o), ElementsAre("attr:7"));
}

TEST(ContentBuilderTest, WeightsAreNormalisedTfIdf) {
  Dataset d = MakeSequences(3, {{0}});
  d.item_info[0].attributes = {"a", "b"};
  d.item_info[1].attributes = {"a"};  // item 2 has no tokens
  auto m = BuildContent(d, PlainTfIdf());
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_THAT((*m)->tokens(), ElementsAre("attr:a", "attr:b"));
  const double idf_a = std::log(4.0 / 3.0) + 1.0;  // N = 3 items, df = 2
  const double idf_b = std::log(4.0 / 2.0) + 1.0;  // df = 1
  const double norm = std::hypot(idf_a, idf_b);
  const SparseRowMatrix& v = (*m)->item_vectors();
  EXPECT_NEAR(v.coeff(0, 0), idf_a / norm, 1e-6);
  EXPECT_NEAR(v.coeff(0, 1), idf_b / norm, 1e-6);
  EXPECT_FLOAT_EQ(v.coeff(1, 0), 1.0f);
  EXPECT_EQ(v.row(2).nonZeros(), 0);
}

TEST(ContentBuilderTest, RepeatedTitleWordHasSublinearTf) {
  Dataset d = MakeSequences(2, {{0}});
  d.item_info[0].title = "red red shoe";
  d.item_info[1].title = "boot";
  auto m = BuildContent(d, PlainTfIdf());
  ASSERT_TRUE(m.ok());
  const int32_t red = (*m)->TokenId("title:red");
  const int32_t shoe = (*m)->TokenId("title:shoe");
  ASSERT_GE(red, 0);
  ASSERT_GE(shoe, 0);
  const SparseRowMatrix& v = (*m)->item_vectors();
  EXPECT_NEAR(v.coeff(0, red) / v.coeff(0, shoe), 1.0 + std::log(2.0), 1e-5);
}

TEST(ContentBuilderTest, IdfPowerSharpensRareTokens) {
  Dataset d = MakeSequences(3, {{0}});
  d.item_info[0].attributes = {"a", "b"};
  d.item_info[1].attributes = {"a"};
  ContentBuilderOptions o;
  o.idf_power = 2.0f;
  auto m = BuildContent(d, o);
  ASSERT_TRUE(m.ok());
  const double idf_a = std::log(4.0 / 3.0) + 1.0, idf_b = std::log(2.0) + 1.0;
  const SparseRowMatrix& v = (*m)->item_vectors();
  EXPECT_NEAR(v.coeff(0, 1) / v.coeff(0, 0), (idf_b * idf_b) / (idf_a * idf_a), 1e-5);
}

TEST(ContentBuilderTest, ScoresItemsWithoutInteractions) {
  // Only item 0 was ever bought; item 2 shares its attribute, item 1 does not.
  Dataset d = MakeSequences(3, {{0}, {0}});
  d.item_info[0].attributes = {"x"};
  d.item_info[1].attributes = {"y"};
  d.item_info[2].attributes = {"x", "z"};
  ContentBuilderOptions o;
  o.scoring.prior_weight = 0.0f;
  auto m = BuildContent(d, o);
  ASSERT_TRUE(m.ok());
  const auto events = testing_util::Events({0});
  std::vector<float> out(3);
  (*m)->ScoreAll(*(*m)->Encode({events}), out);
  EXPECT_GT(out[2], 0.0f);
  EXPECT_EQ(out[1], 0.0f);
}

TEST(ContentBuilderTest, RecoversPlantedTopics) {
  // 40 items in 4 topics; each item carries 3 of its topic's 6 attributes
  // and 1 of 5 noise attributes shared across topics. An item's best match
  // is in its topic.
  std::mt19937 rng(3);
  std::uniform_int_distribution<int32_t> attr(0, 5), noise(0, 4);
  Dataset d = MakeSequences(40, {});
  for (int32_t i = 0; i < 40; ++i) {
    auto& a = d.item_info[static_cast<size_t>(i)].attributes;
    for (int k = 0; k < 3; ++k) a.push_back(absl::StrCat("t", i % 4, "_", attr(rng)));
    a.push_back(absl::StrCat("n", noise(rng)));
  }
  ContentBuilderOptions o;
  o.scoring.prior_weight = 0.0f;
  auto m = BuildContent(d, o);
  ASSERT_TRUE(m.ok());
  std::vector<float> out(40);
  for (int32_t i = 0; i < 40; ++i) {
    const auto events = testing_util::Events({i});
    (*m)->ScoreAll(*(*m)->Encode({events}), out);
    out[static_cast<size_t>(i)] = -1.0f;
    const auto best = std::max_element(out.begin(), out.end()) - out.begin();
    EXPECT_EQ(best % 4, i % 4) << "item " << i;
  }
}

TEST(ContentBuilderTest, RejectsBadPriceBase) {
  ContentBuilderOptions o;
  o.price_bucket_base = 1.0;
  EXPECT_FALSE(BuildContent(MakeSequences(1, {{0}}), o).ok());
}

}  // namespace
}  // namespace recd
