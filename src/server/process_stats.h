#ifndef RECD_SERVER_PROCESS_STATS_H_
#define RECD_SERVER_PROCESS_STATS_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace recd {

// What /metrics reports of the process itself, read from /proc/self/status.
// A value type.
struct ProcessStats {
  int64_t resident_bytes = 0;  // VmRSS
  int64_t threads = 0;         // Threads

  // Reads /proc/self/status; fails on a system without it.
  static absl::StatusOr<ProcessStats> ReadSelf();
  // Parses the text of a /proc/PID/status file; a field that is missing or
  // malformed is an error naming it.
  static absl::StatusOr<ProcessStats> Parse(std::string_view status_text);
};

}  // namespace recd

#endif  // RECD_SERVER_PROCESS_STATS_H_
