#include "server/admission_controller.h"

#include <optional>
#include <vector>

#include "gtest/gtest.h"

namespace recd {
namespace {

using Lane = AdmissionController::Lane;

AdmissionController::Options Limits(int reads, int writes) {
  AdmissionController::Options o;
  o.max_in_flight_reads = reads;
  o.max_in_flight_writes = writes;
  o.max_queue_time = absl::Milliseconds(20);
  return o;
}

TEST(AdmissionControllerTest, AdmitsUpToTheLimitThenRefuses) {
  AdmissionController admission(Limits(2, 1));
  std::vector<AdmissionController::Ticket> held;
  for (int i = 0; i < 2; ++i) {
    auto t = admission.TryAdmit(Lane::kRead);
    ASSERT_TRUE(t.has_value());
    held.push_back(std::move(*t));
  }
  EXPECT_FALSE(admission.TryAdmit(Lane::kRead).has_value());
  EXPECT_EQ(admission.in_flight(Lane::kRead), 2);
  EXPECT_EQ(admission.refused(Lane::kRead), 1);
}

TEST(AdmissionControllerTest, AFinishedCallFreesItsPlace) {
  AdmissionController admission(Limits(1, 1));
  {
    auto t = admission.TryAdmit(Lane::kRead);
    ASSERT_TRUE(t.has_value());
    EXPECT_FALSE(admission.TryAdmit(Lane::kRead).has_value());
  }
  EXPECT_EQ(admission.in_flight(Lane::kRead), 0);
  EXPECT_TRUE(admission.TryAdmit(Lane::kRead).has_value());
}

TEST(AdmissionControllerTest, MovedTicketGivesItsPlaceBackOnce) {
  AdmissionController admission(Limits(1, 1));
  std::optional<AdmissionController::Ticket> outer;
  {
    auto t = admission.TryAdmit(Lane::kRead);
    ASSERT_TRUE(t.has_value());
    outer.emplace(std::move(*t));
  }
  EXPECT_EQ(admission.in_flight(Lane::kRead), 1);
  outer.reset();
  EXPECT_EQ(admission.in_flight(Lane::kRead), 0);
}

TEST(AdmissionControllerTest, ReadsAndWritesHaveSeparateBudgets) {
  AdmissionController admission(Limits(1, 1));
  auto read = admission.TryAdmit(Lane::kRead);
  ASSERT_TRUE(read.has_value());
  auto write = admission.TryAdmit(Lane::kWrite);
  EXPECT_TRUE(write.has_value()) << "a full read lane must not refuse writes";
  EXPECT_FALSE(admission.TryAdmit(Lane::kWrite).has_value());
  EXPECT_EQ(admission.refused(Lane::kWrite), 1);
  EXPECT_EQ(admission.refused(Lane::kRead), 0);
}

TEST(AdmissionControllerTest, QueueTimeBoundAndPushback) {
  AdmissionController admission(Limits(1, 1));
  const absl::Time t0 = absl::UnixEpoch();
  EXPECT_FALSE(admission.QueuedTooLong(t0, t0 + absl::Milliseconds(20)));
  EXPECT_TRUE(admission.QueuedTooLong(t0, t0 + absl::Milliseconds(21)));
  EXPECT_EQ(admission.RetryPushbackMs(), 20);
}

}  // namespace
}  // namespace recd
