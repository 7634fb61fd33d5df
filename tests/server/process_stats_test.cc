#include "server/process_stats.h"

#include "gtest/gtest.h"

namespace recd {
namespace {

TEST(ProcessStatsTest, ParsesResidentMemoryAndThreads) {
  auto stats = ProcessStats::Parse("Name:\trecd\nVmPeak:\t  9000 kB\nVmRSS:\t    1234 kB\nThreads:\t27\n");
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->resident_bytes, 1234 * 1024);
  EXPECT_EQ(stats->threads, 27);
}

TEST(ProcessStatsTest, MissingOrMalformedFieldsAreNamed) {
  auto missing = ProcessStats::Parse("VmRSS:\t1 kB\n");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("Threads"), absl::string_view::npos);
  auto malformed = ProcessStats::Parse("VmRSS:\tlots kB\nThreads:\t2\n");
  ASSERT_FALSE(malformed.ok());
  EXPECT_NE(malformed.status().message().find("VmRSS"), absl::string_view::npos);
}

TEST(ProcessStatsTest, ReadsThisProcess) {
  auto stats = ProcessStats::ReadSelf();
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_GT(stats->resident_bytes, 0);
  EXPECT_GE(stats->threads, 1);
}

}  // namespace
}  // namespace recd
