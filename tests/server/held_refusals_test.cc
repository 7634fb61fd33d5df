#include "server/held_refusals.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(HeldRefusalsTest, RefusalRunsOnceTheHoldHasPassed) {
  absl::Notification ran;  // before `held`: its destructor runs what is pending
  HeldRefusals held(absl::Milliseconds(50), 10);
  absl::Time at;
  const absl::Time start = absl::Now();
  held.Hold([&] {
    at = absl::Now();
    ran.Notify();
  });
  EXPECT_FALSE(ran.HasBeenNotified());
  EXPECT_EQ(held.pending(), 1u);
  ASSERT_TRUE(ran.WaitForNotificationWithTimeout(absl::Seconds(30)));
  EXPECT_GE(at - start, absl::Milliseconds(50));
  EXPECT_EQ(held.pending(), 0u);
}

TEST(HeldRefusalsTest, PastMaxPendingARefusalRunsAtOnce) {
  std::atomic<int> ran{0};  // before `held`: its destructor runs what is pending
  HeldRefusals held(absl::Hours(1), 2);
  for (int i = 0; i < 5; ++i) held.Hold([&] { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 3) << "two held, three run at once";
  EXPECT_EQ(held.pending(), 2u);
}

TEST(HeldRefusalsTest, StopRunsWhatIsPendingAndLaterOnesAtOnce) {
  std::atomic<int> ran{0};  // before `held`: its destructor runs what is pending
  HeldRefusals held(absl::Hours(1), 100);
  for (int i = 0; i < 10; ++i) held.Hold([&] { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 0);
  held.Stop();
  EXPECT_EQ(ran.load(), 10);
  held.Hold([&] { ran.fetch_add(1); });
  EXPECT_EQ(ran.load(), 11);
}

TEST(HeldRefusalsTest, DestructionRunsWhatIsPending) {
  std::atomic<int> ran{0};
  {
    HeldRefusals held(absl::Hours(1), 100);
    for (int i = 0; i < 3; ++i) held.Hold([&] { ran.fetch_add(1); });
  }
  EXPECT_EQ(ran.load(), 3);
}

}  // namespace
}  // namespace recd
