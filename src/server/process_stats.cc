#include "server/process_stats.h"

#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace recd {
namespace {

// The number of the `key:` line, e.g. "VmRSS:\t  1234 kB" -> 1234 (the unit
// is left to the caller).
absl::StatusOr<int64_t> Field(absl::string_view text, absl::string_view key) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, key) || !absl::ConsumePrefix(&line, ":")) continue;
    std::vector<absl::string_view> parts = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    int64_t value = 0;
    if (parts.empty() || !absl::SimpleAtoi(parts[0], &value) || value < 0) {
      return absl::DataLossError(absl::StrCat("/proc/self/status: ", key, ": not a number"));
    }
    return value;
  }
  return absl::NotFoundError(absl::StrCat("/proc/self/status: no ", key, " line"));
}

}  // namespace

absl::StatusOr<ProcessStats> ProcessStats::Parse(std::string_view status_text) {
  ProcessStats stats;
  const absl::string_view text(status_text.data(), status_text.size());
  auto rss_kb = Field(text, "VmRSS");
  if (!rss_kb.ok()) return rss_kb.status();
  auto threads = Field(text, "Threads");
  if (!threads.ok()) return threads.status();
  stats.resident_bytes = *rss_kb * 1024;
  stats.threads = *threads;
  return stats;
}

absl::StatusOr<ProcessStats> ProcessStats::ReadSelf() {
  std::ifstream in("/proc/self/status");
  if (!in) return absl::UnavailableError("/proc/self/status: cannot open");
  std::stringstream text;
  text << in.rdbuf();
  return Parse(text.str());
}

}  // namespace recd
