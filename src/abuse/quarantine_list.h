#ifndef RECD_ABUSE_QUARANTINE_LIST_H_
#define RECD_ABUSE_QUARANTINE_LIST_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "recd/id_map.h"

namespace recd {

// A list of quarantined users as `recd-cli quarantine-list` writes it: one
// external user id a line; blank lines and `#` comments (to the end of the
// line) are skipped, spaces around an id are not part of it.
struct QuarantineList {
  std::vector<int32_t> users;  // dense ids of the listed users `users` knows, ascending, unique
  int64_t listed = 0;          // ids in the file (repeats counted once)
  int64_t unknown = 0;         // of those, ids `users` does not know
};

// Reads the list at `path`, mapping ids through `users`. An id the data does
// not know is counted, not an error (the list may come from a daemon that
// saw newer users). A line holding two ids or an id over 256 bytes is
// INVALID_ARGUMENT naming the file and line; an unreadable file, NOT_FOUND
// naming it.
absl::StatusOr<QuarantineList> ReadQuarantineList(const std::string& path, const IdMap& users);

}  // namespace recd

#endif  // RECD_ABUSE_QUARANTINE_LIST_H_
