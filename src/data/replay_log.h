#ifndef RECD_DATA_REPLAY_LOG_H_
#define RECD_DATA_REPLAY_LOG_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/dataset.h"

namespace recd {

// One interaction of a replayed log, with external ids: what recd-bench
// --replay sends to a daemon and recd-eval --replay ranks offline.
struct ReplayEvent {
  std::string user;
  std::string item;
  EventType type = EventType::kView;
  int64_t timestamp = 0;  // seconds since the epoch
};

// Reads an interaction log in recd-train's --events format (a header naming
// user_id, item_id, event, timestamp) into events ordered by timestamp
// (each user's in file order; equal timestamps of different users by the
// user's first appearance in the file). Any malformed line fails the read as
// "file:line: reason": a replay that silently skipped events would score a
// different log from the one named.
absl::StatusOr<std::vector<ReplayEvent>> ReadReplayLog(const std::string& path);

}  // namespace recd

#endif  // RECD_DATA_REPLAY_LOG_H_
