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

namespace recd {
namespace {

TEST(AdmissionControllerTest, OneConnectionHoldsAtMostItsShare) {
  AdmissionController::Options options = Limits(8, 4);
  options.max_connection_share = 0.5;
  AdmissionController admission(options);
  EXPECT_EQ(admission.ConnectionLimit(Lane::kRead), 4);
  std::vector<AdmissionController::Ticket> held;
  for (int i = 0; i < 4; ++i) {
    auto t = admission.TryAdmit(Lane::kRead, "ipv4:10.0.0.1:1000");
    ASSERT_TRUE(t.has_value());
    held.push_back(std::move(*t));
  }
  EXPECT_FALSE(admission.TryAdmit(Lane::kRead, "ipv4:10.0.0.1:1000").has_value());
  EXPECT_EQ(admission.refused_connection_share(), 1);
  // Another connection still finds the places the first could not take.
  auto other = admission.TryAdmit(Lane::kRead, "ipv4:10.0.0.2:2000");
  EXPECT_TRUE(other.has_value());
  held.clear();
  EXPECT_TRUE(admission.TryAdmit(Lane::kRead, "ipv4:10.0.0.1:1000").has_value());
}

// More refusals than hog_refusals_per_second / 10 within a tenth of a
// second make a connection a hog; the count starts again each tenth.
TEST(AdmissionControllerTest, HogIsRefusedOftenerThanItsRateWithinATenth) {
  AdmissionController::Options options = Limits(8, 4);
  options.hog_refusals_per_second = 100;  // 10 a tenth of a second
  AdmissionController admission(options);
  const absl::Time t0 = absl::FromUnixMillis(1'700'000'000'000);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(admission.CountRefusalIsHog("flood", t0 + absl::Milliseconds(i)));
  EXPECT_TRUE(admission.CountRefusalIsHog("flood", t0 + absl::Milliseconds(50)));
  EXPECT_FALSE(admission.CountRefusalIsHog("other", t0 + absl::Milliseconds(50)));
  EXPECT_FALSE(admission.CountRefusalIsHog("flood", t0 + absl::Milliseconds(100))) << "a new tenth";
}

TEST(AdmissionControllerTest, ConnectionShareIsAtLeastOnePlace) {
  AdmissionController::Options options = Limits(1, 1);
  options.max_connection_share = 0.1;
  AdmissionController admission(options);
  EXPECT_EQ(admission.ConnectionLimit(Lane::kWrite), 1);
  EXPECT_TRUE(admission.TryAdmit(Lane::kWrite, "fd:7").has_value());
}

}  // namespace
}  // namespace recd
