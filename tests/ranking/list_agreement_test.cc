#include "ranking/list_agreement.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

using List = std::vector<std::string>;

TEST(ListAgreementTest, OverlapCountsSharedItemsOfTheTopK) {
  EXPECT_DOUBLE_EQ(OverlapAtK(List{"a", "b", "c", "d"}, List{"d", "c", "x", "y"}, 4), 0.5);
  // Only the top k count: "c" is shared beyond it.
  EXPECT_DOUBLE_EQ(OverlapAtK(List{"a", "b", "c"}, List{"b", "x", "c"}, 2), 0.5);
  EXPECT_DOUBLE_EQ(OverlapAtK(List{"a", "b"}, List{"b", "a"}, 2), 1.0);
}

TEST(ListAgreementTest, ShortListsAreMeasuredAgainstTheLongerOne) {
  // Rules left three items live and two in the shadow, both shared.
  EXPECT_DOUBLE_EQ(OverlapAtK(List{"a", "b", "c"}, List{"a", "b"}, 10), 2.0 / 3.0);
  EXPECT_DOUBLE_EQ(OverlapAtK(List{}, List{}, 10), 1.0);
  EXPECT_DOUBLE_EQ(OverlapAtK(List{"a"}, List{}, 10), 0.0);
}

TEST(ListAgreementTest, RankCorrelationOrdersTheSharedItems) {
  EXPECT_DOUBLE_EQ(*SharedRankCorrelation(List{"a", "b", "c"}, List{"a", "x", "b", "c"}, 4), 1.0);
  EXPECT_DOUBLE_EQ(*SharedRankCorrelation(List{"a", "b", "c"}, List{"c", "b", "a"}, 3), -1.0);
  // Pairs (a,b) kept, (a,c) kept, (b,c) swapped: (2 - 1) / 3.
  EXPECT_DOUBLE_EQ(*SharedRankCorrelation(List{"a", "b", "c"}, List{"a", "c", "b"}, 3), 1.0 / 3.0);
}

TEST(ListAgreementTest, RankCorrelationNeedsTwoSharedItems) {
  EXPECT_FALSE(SharedRankCorrelation(List{"a", "b"}, List{"a", "x"}, 2).has_value());
  EXPECT_FALSE(SharedRankCorrelation(List{}, List{}, 10).has_value());
  // "b" is shared only beyond k.
  EXPECT_FALSE(SharedRankCorrelation(List{"a", "b"}, List{"a", "x", "b"}, 2).has_value());
}

}  // namespace
}  // namespace recd
