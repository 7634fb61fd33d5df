#include "abuse/event_limits.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

std::vector<UserEvents> RepeatedViews(const std::string& user, const std::string& item, int n) {
  return {UserEvents{user, std::vector<StoredEvent>(static_cast<size_t>(n), StoredEvent{item, EventType::kView, 0})}};
}

TEST(EventLimitsTest, UserOverItsLimitIsRefusedByName) {
  EventLimits limits;
  const EventLimits::Limits per_minute{.user_events_per_minute = 10, .item_events_per_minute = 0};
  EXPECT_TRUE(limits.Admit(RepeatedViews("u1", "i1", 10), per_minute, kT0).ok());
  absl::Status s = limits.Admit(RepeatedViews("u1", "i2", 1), per_minute, kT0);
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("user 'u1'"));
  EXPECT_THAT(s.message(), HasSubstr("server.rate_limits.user_events_per_minute"));
  EXPECT_TRUE(limits.Admit(RepeatedViews("u2", "i2", 10), per_minute, kT0).ok());
}

TEST(EventLimitsTest, ItemOverItsLimitRefusesTheWholeCallAndChargesNoUser) {
  EventLimits limits;
  const EventLimits::Limits per_minute{.user_events_per_minute = 10, .item_events_per_minute = 15};
  EXPECT_TRUE(limits.Admit(RepeatedViews("u1", "hot", 8), per_minute, kT0).ok());
  std::vector<UserEvents> batch = RepeatedViews("u2", "hot", 5);
  batch.push_back(RepeatedViews("u3", "hot", 5)[0]);
  absl::Status s = limits.Admit(batch, per_minute, kT0);  // hot: 8 + 10 > 15
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_THAT(s.message(), HasSubstr("item 'hot'"));
  // u2 and u3 were given their tokens back: each still has all 10.
  EXPECT_TRUE(limits.Admit(RepeatedViews("u2", "other", 10), per_minute, kT0).ok());
  EXPECT_TRUE(limits.Admit(RepeatedViews("u3", "other2", 10), per_minute, kT0).ok());
}

TEST(EventLimitsTest, NoLimitsAdmitEverything) {
  EventLimits limits;
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limits.Admit(RepeatedViews("u1", "i1", 1000), {}, kT0).ok());
}

}  // namespace
}  // namespace recd
