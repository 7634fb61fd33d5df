#include "store/value_codec.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

std::vector<StoredEvent> Sample() {
  return {{"B00A", EventType::kView, 1700000000},
          {"B00B", EventType::kCart, 1699999990},  // late: negative delta
          {"", EventType::kPurchase, std::numeric_limits<int64_t>::min()},
          {std::string(300, 'x'), EventType::kView, std::numeric_limits<int64_t>::max()}};
}

TEST(ValueCodecTest, HistoryRoundTripsExtremeTimestamps) {
  std::string value;
  EncodeHistory(Sample(), &value);
  auto decoded = DecodeHistory(value);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->events, Sample());
  EXPECT_TRUE(decoded->known);
  EXPECT_TRUE(decoded->applied_requests.empty());
}

TEST(ValueCodecTest, HistoryWithRequestIdsRoundTripsAsV2) {
  StoredHistory history{.events = Sample(), .known = true, .applied_requests = {"req-1", std::string(128, 'r')}};
  std::string value;
  EncodeHistory(history, &value);
  EXPECT_EQ(value[0], static_cast<char>(kHistoryFormatV2));
  auto decoded = DecodeHistory(value);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(*decoded, history);
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeHistory(std::string_view(value).substr(0, n)).status())) << n << " bytes";
  }
}

TEST(ValueCodecTest, HistoryWithoutRequestIdsStaysV1) {
  // Stores written without request ids stay readable by builds that know v1 only.
  std::string value;
  EncodeHistory(StoredHistory{.events = Sample(), .known = true}, &value);
  std::string v1;
  EncodeHistory(Sample(), &v1);
  EXPECT_EQ(value, v1);
  EXPECT_EQ(value[0], static_cast<char>(kHistoryFormatV1));
}

TEST(ValueCodecTest, HistoryIsCompact) {
  // 200 ten-character ids one minute apart: ~13 bytes per event.
  std::vector<StoredEvent> events;
  for (int i = 0; i < 200; ++i)
    events.push_back({"B000000" + std::to_string(100 + i), EventType::kView, 1700000000 + 60 * i});
  std::string value;
  EncodeHistory(events, &value);
  EXPECT_LT(value.size(), 200u * 14 + 8);
}

TEST(ValueCodecTest, EveryTruncatedHistoryIsDataLoss) {
  std::string value;
  EncodeHistory(Sample(), &value);
  for (size_t n = 0; n < value.size(); ++n) {
    auto decoded = DecodeHistory(std::string_view(value).substr(0, n));
    EXPECT_TRUE(absl::IsDataLoss(decoded.status())) << "prefix of " << n << " bytes";
  }
}

TEST(ValueCodecTest, TrailingBytesAreDataLoss) {
  std::string value;
  EncodeHistory(Sample(), &value);
  value.push_back('\0');
  EXPECT_THAT(std::string(DecodeHistory(value).status().message()), HasSubstr("trailing"));
}

TEST(ValueCodecTest, HugeEventCountIsRejectedWithoutAllocating) {
  const std::string value("\x01\xff\xff\xff\xff\x0f", 6);
  EXPECT_TRUE(absl::IsDataLoss(DecodeHistory(value).status()));
}

TEST(ValueCodecTest, UnknownEventTypeIsDataLoss) {
  std::string value;
  EncodeHistory(std::vector<StoredEvent>{{"a", EventType::kView, 1}}, &value);
  value[4] = 5;  // version, count, id length, 'a', type
  EXPECT_THAT(std::string(DecodeHistory(value).status().message()), HasSubstr("event type 5"));
}

TEST(ValueCodecTest, ItemRoundTripKeepsNanPrice) {
  ItemInfo info;
  info.title = "t";
  info.category_path = {"A", "B"};
  info.brand = "b";
  info.in_stock = false;
  info.attributes = {"x"};
  std::string value;
  EncodeItemInfo(info, &value);
  auto decoded = DecodeItemInfo(value);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(std::isnan(decoded->price));
  EXPECT_EQ(decoded->category_path, info.category_path);
  EXPECT_EQ(decoded->attributes, info.attributes);
  EXPECT_FALSE(decoded->in_stock);
}

TEST(ValueCodecTest, EveryTruncatedItemIsDataLoss) {
  ItemInfo info;
  info.title = "title";
  info.category_path = {"A"};
  info.brand = "b";
  info.price = 1.0f;
  info.attributes = {"x", "y"};
  std::string value;
  EncodeItemInfo(info, &value);
  for (size_t n = 0; n < value.size(); ++n) {
    EXPECT_TRUE(absl::IsDataLoss(DecodeItemInfo(std::string_view(value).substr(0, n)).status()))
        << "prefix of " << n << " bytes";
  }
}

TEST(ValueCodecTest, UnknownItemFlagsAreDataLoss) {
  std::string value;
  EncodeItemInfo(ItemInfo{}, &value);
  value[1] = 0x42;
  EXPECT_TRUE(absl::IsDataLoss(DecodeItemInfo(value).status()));
}

TEST(ValueCodecTest, BlobRoundTripAndVersionCheck) {
  std::string value;
  EncodeBlob(std::string_view("\0ab", 3), &value);
  EXPECT_EQ(*DecodeBlob(value), std::string("\0ab", 3));
  value[0] = 2;
  EXPECT_THAT(std::string(DecodeBlob(value).status().message()), HasSubstr("version 2"));
}

}  // namespace
}  // namespace recd
