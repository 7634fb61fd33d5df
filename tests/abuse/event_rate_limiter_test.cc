#include "abuse/event_rate_limiter.h"

#include <string>

#include "gtest/gtest.h"

namespace recd {
namespace {

const absl::Time kClockStart = absl::FromUnixSeconds(1'700'000'000);

TEST(EventRateLimiterTest, AMinutesWorthThenRefusedUntilItRefills) {
  EventRateLimiter limiter({});
  EXPECT_TRUE(limiter.TryTake("u1", 60, 50, kClockStart));
  EXPECT_TRUE(limiter.TryTake("u1", 60, 10, kClockStart));
  EXPECT_FALSE(limiter.TryTake("u1", 60, 1, kClockStart));
  EXPECT_TRUE(limiter.TryTake("u2", 60, 60, kClockStart)) << "keys have their own buckets";
  EXPECT_FALSE(limiter.TryTake("u1", 60, 2, kClockStart + absl::Seconds(1)));  // one token back a second
  EXPECT_TRUE(limiter.TryTake("u1", 60, 1, kClockStart + absl::Seconds(1)));
  EXPECT_TRUE(limiter.TryTake("u1", 60, 60, kClockStart + absl::Minutes(5))) << "refills to a minute's worth";
  EXPECT_FALSE(limiter.TryTake("u1", 60, 1, kClockStart + absl::Minutes(5)));
}

TEST(EventRateLimiterTest, RefusedTakeTakesNothingAndGiveBackReturns) {
  EventRateLimiter limiter({});
  EXPECT_TRUE(limiter.TryTake("u1", 10, 8, kClockStart));
  EXPECT_FALSE(limiter.TryTake("u1", 10, 3, kClockStart));
  EXPECT_TRUE(limiter.TryTake("u1", 10, 2, kClockStart));
  limiter.GiveBack("u1", 10, 5, kClockStart);
  EXPECT_TRUE(limiter.TryTake("u1", 10, 5, kClockStart));
  EXPECT_FALSE(limiter.TryTake("u1", 10, 1, kClockStart));
}

TEST(EventRateLimiterTest, ARaisedLimitAddsTheDifferenceALoweredOneTakesIt) {
  EventRateLimiter limiter({});
  EXPECT_TRUE(limiter.TryTake("u1", 10, 10, kClockStart));
  EXPECT_TRUE(limiter.TryTake("u1", 100, 90, kClockStart));  // 10 used of 100
  EXPECT_FALSE(limiter.TryTake("u1", 100, 1, kClockStart));
  EXPECT_TRUE(limiter.TryTake("u2", 100, 50, kClockStart));
  EXPECT_FALSE(limiter.TryTake("u2", 40, 1, kClockStart)) << "50 used is past a lowered limit of 40";
}

TEST(EventRateLimiterTest, ZeroLimitIsNoLimit) {
  EventRateLimiter limiter({});
  for (int i = 0; i < 1000; ++i) EXPECT_TRUE(limiter.TryTake("u1", 0, 100, kClockStart));
}

TEST(EventRateLimiterTest, BoundedKeysForgetIdleBucketsFirst) {
  EventRateLimiter limiter({.max_keys = 4, .shards = 1});
  EXPECT_TRUE(limiter.TryTake("busy", 10, 10, kClockStart));  // drained
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(limiter.TryTake("k" + std::to_string(i), 10, 1, kClockStart + absl::Minutes(i)));
  // A hundred other keys came and went, each idle a minute later; "busy"
  // refilled long ago too, so it takes a full minute's worth again, once.
  EXPECT_TRUE(limiter.TryTake("busy", 10, 10, kClockStart + absl::Minutes(200)));
  EXPECT_FALSE(limiter.TryTake("busy", 10, 1, kClockStart + absl::Minutes(200)));
}

TEST(EventRateLimiterTest, DrainedBucketSurvivesWhileOthersAreIdle) {
  EventRateLimiter limiter({.max_keys = 2, .shards = 1});
  const absl::Time later = kClockStart + absl::Minutes(5);
  EXPECT_TRUE(limiter.TryTake("idle", 10, 1, kClockStart));
  EXPECT_TRUE(limiter.TryTake("attacker", 10, 10, later));
  // The shard is full when "new" comes: "idle" has refilled and is
  // dropped; the drained bucket is kept.
  EXPECT_TRUE(limiter.TryTake("new", 10, 1, later + absl::Seconds(1)));
  EXPECT_FALSE(limiter.TryTake("attacker", 10, 5, later + absl::Seconds(1)));
}

}  // namespace
}  // namespace recd
