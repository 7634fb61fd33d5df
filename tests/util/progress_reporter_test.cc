#include "util/progress_reporter.h"

#include <algorithm>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace recd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A clock the test moves by hand, so rates, ETAs and throttling are exact.
struct FakeClock {
  absl::Time now = absl::FromUnixSeconds(1000);
  void Advance(absl::Duration d) { now += d; }
};

ProgressReporter::Options MakeOptions(std::ostringstream& out, FakeClock& clock, bool tty,
                                      int64_t total) {
  ProgressReporter::Options o;
  o.label = "users";
  o.total = total;
  o.out = &out;
  o.tty = tty;
  o.now = [&clock] { return clock.now; };
  return o;
}

std::vector<std::string> Lines(const std::string& text) {
  return absl::StrSplit(text, '\n', absl::SkipEmpty());
}

TEST(ProgressReporterTest, PlainLineShowsPercentCountRateAndEta) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/false, 1000));
  clock.Advance(absl::Seconds(5));
  p.Add(250);  // 50/s: 750 left take 15 s
  EXPECT_EQ(out.str(), "users: 25% 250/1,000 50.0/s ETA 0:15\n");
}

TEST(ProgressReporterTest, PlainFinishPrintsCountRateAndTotalTime) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/false, 29000));
  p.Add(10000);  // before the first interval: nothing yet
  EXPECT_EQ(out.str(), "");
  clock.Advance(absl::Seconds(2));
  p.Finish();
  p.Finish();  // once only
  EXPECT_EQ(out.str(), "users: 34% 10,000/29,000 5,000/s in 0:02\n");
}

TEST(ProgressReporterTest, ReachingTheTotalFinishesAtOnce) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/false, 29000));
  clock.Advance(absl::Seconds(2));
  p.Add(29000);  // within the first interval, yet the last line is printed
  EXPECT_EQ(out.str(), "users: 100% 29,000/29,000 14,500/s in 0:02\n");
  p.Add(1);
  p.Finish();
  EXPECT_EQ(out.str(), "users: 100% 29,000/29,000 14,500/s in 0:02\n");  // nothing after the end
}

TEST(ProgressReporterTest, PlainOutputIsThrottledToOneLinePerInterval) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/false, 0));
  // 60 s of work reported 6,000 times: at most one line per 5 s.
  for (int i = 0; i < 6000; ++i) {
    clock.Advance(absl::Milliseconds(10));
    p.Add();
  }
  p.Finish();
  const std::vector<std::string> lines = Lines(out.str());
  EXPECT_EQ(lines.size(), 60 / 5 + 1u);
  EXPECT_EQ(lines.back(), "users: 6,000 100/s in 1:00");
}

TEST(ProgressReporterTest, UnknownTotalShowsNoBarPercentOrEta) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/true, 0));
  clock.Advance(absl::Seconds(7));
  p.Add(12345);
  EXPECT_EQ(out.str(), "\rusers 12,345 1,764/s elapsed 0:07\033[K");
  EXPECT_THAT(out.str(), Not(HasSubstr("ETA")));
  EXPECT_THAT(out.str(), Not(HasSubstr("%")));
}

TEST(ProgressReporterTest, TerminalRedrawsOneLineInPlace) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/true, 200));
  clock.Advance(absl::Seconds(1));
  p.Add(50);
  clock.Advance(absl::Seconds(1));
  p.Add(50);
  EXPECT_EQ(out.str(),
            "\rusers [#####...............] 25% 50/200 50.0/s ETA 0:03\033[K"
            "\rusers [##########..........] 50% 100/200 50.0/s ETA 0:02\033[K");
  clock.Advance(absl::Seconds(2));
  p.Add(100);
  p.Finish();
  EXPECT_THAT(out.str(), ::testing::EndsWith(
                             "\rusers [####################] 100% 200/200 50.0/s in 0:04\033[K\n"));
  EXPECT_EQ(Lines(out.str()).size(), 1u);  // one terminal line, redrawn
}

TEST(ProgressReporterTest, TerminalRedrawsAtMostTenTimesASecond) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/true, 100000));
  for (int i = 0; i < 100000; ++i) {  // 10 s in 0.1 ms steps
    clock.Advance(absl::Microseconds(100));
    p.Add();
  }
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\r'), 100);
}

TEST(ProgressReporterTest, EtaIsUnknownBeforeAnyProgress) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/false, 10));
  clock.Advance(absl::Seconds(6));
  p.Add(0);
  EXPECT_EQ(out.str(), "users: 0% 0/10 0.000/s ETA -\n");
}

TEST(ProgressReporterTest, SetReportsAbsoluteProgress) {
  std::ostringstream out;
  FakeClock clock;
  ProgressReporter p(MakeOptions(out, clock, /*tty=*/false, 4));
  clock.Advance(absl::Seconds(60));
  p.Set(3);  // 3 epochs in a minute
  EXPECT_EQ(out.str(), "users: 75% 3/4 0.050/s ETA 0:20\n");
}

TEST(ProgressReporterTest, AbandonedTerminalLineIsEndedWithoutSummary) {
  std::ostringstream out;
  FakeClock clock;
  {
    ProgressReporter p(MakeOptions(out, clock, /*tty=*/true, 10));
    clock.Advance(absl::Seconds(1));
    p.Add(3);
  }  // the step failed: no Finish
  EXPECT_THAT(out.str(), ::testing::EndsWith("\033[K\n"));
  EXPECT_THAT(out.str(), Not(HasSubstr(" in ")));
}

TEST(ProgressReporterTest, DisabledReporterWritesNothing) {
  FakeClock clock;
  ProgressReporter::Options o;
  o.total = 10;
  o.now = [&clock] { return clock.now; };
  ProgressReporter p(o);  // out == nullptr
  clock.Advance(absl::Seconds(10));
  p.Add(10);
  p.Finish();
  EXPECT_EQ(p.done(), 10);
}

TEST(ProgressReporterTest, ParallelAddsAreAllCounted) {
  std::ostringstream out;
  ProgressReporter::Options o;
  o.label = "users";
  o.total = 40000;
  o.out = &out;
  o.plain_interval = absl::ZeroDuration();  // draw on every call: stress the lock
  ProgressReporter p(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&p] {
      for (int i = 0; i < 10000; ++i) p.Add();
    });
  }
  for (std::thread& t : threads) t.join();
  p.Finish();
  EXPECT_EQ(p.done(), 40000);
  EXPECT_THAT(Lines(out.str()).back(), HasSubstr("100% 40,000/40,000"));
}

TEST(ProgressReporterTest, FormatsCountsAndDurations) {
  EXPECT_EQ(GroupThousands(0), "0");
  EXPECT_EQ(GroupThousands(999), "999");
  EXPECT_EQ(GroupThousands(1000), "1,000");
  EXPECT_EQ(GroupThousands(-1234567), "-1,234,567");
  EXPECT_EQ(FormatClock(absl::Seconds(5)), "0:05");
  EXPECT_EQ(FormatClock(absl::Seconds(754)), "12:34");
  EXPECT_EQ(FormatClock(absl::Seconds(3723)), "1:02:03");
}

}  // namespace
}  // namespace recd
