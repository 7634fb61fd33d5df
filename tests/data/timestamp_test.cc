#include "data/timestamp.h"

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(TimestampTest, ParsesIntegerSeconds) {
  EXPECT_EQ(ParseTimestamp("1714564800"), 1714564800);
  EXPECT_EQ(ParseTimestamp("0"), 0);
  EXPECT_EQ(ParseTimestamp("-5"), -5);
}

TEST(TimestampTest, ParsesIsoUtc) {
  EXPECT_EQ(ParseTimestamp("2024-05-01T12:00:00Z"), 1714564800);
  EXPECT_EQ(ParseTimestamp("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(ParseTimestamp("2024-02-29T00:00:00Z"), 1709164800);
}

TEST(TimestampTest, IsoWithoutZoneIsUtcAndFractionsTruncate) {
  EXPECT_EQ(ParseTimestamp("2024-05-01 12:00:00"), 1714564800);
  EXPECT_EQ(ParseTimestamp("2024-05-01T12:00:00.750Z"), 1714564800);
}

TEST(TimestampTest, AppliesZoneOffsets) {
  EXPECT_EQ(ParseTimestamp("2024-05-01T14:00:00+02:00"), 1714564800);
  EXPECT_EQ(ParseTimestamp("2024-05-01T07:00:00-0500"), 1714564800);
}

TEST(TimestampTest, RejectsMalformedAndOutOfRange) {
  for (const char* bad : {"", "abc", "12x", "2024-05-01", "2024-13-01T00:00:00Z",
                          "2023-02-29T00:00:00Z", "2024-05-01T24:00:00Z", "2024-05-01T12:00Z",
                          "2024-05-01T12:00:00Q", "1.5"}) {
    EXPECT_FALSE(ParseTimestamp(bad).has_value()) << bad;
  }
}

TEST(TimestampTest, FormatsIsoUtcRoundTrip) {
  EXPECT_EQ(FormatIso8601Utc(1714564800), "2024-05-01T12:00:00Z");
  EXPECT_EQ(ParseTimestamp(FormatIso8601Utc(-1)), -1);
}

}  // namespace
}  // namespace recd
