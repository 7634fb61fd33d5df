#ifndef RECD_DATA_CSV_H_
#define RECD_DATA_CSV_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace recd {

// Minimal RFC 4180 CSV for the loaders and writers: one record per line
// (quoted fields may hold commas and doubled quotes, not newlines), a
// trailing '\r' is dropped. Kept in-house because the records we read are
// simple and a dependency would be heavier than these few lines.

// Splits `line` into `*fields` (cleared first; its strings' capacity is
// reused, which matters for logs with millions of lines). Fails with a bare
// reason ("unterminated quote", "text after closing quote") for the caller
// to prefix with file and line.
absl::Status SplitCsvLine(std::string_view line, std::vector<std::string>* fields);

// Appends `field` to `*out`, quoted if it holds a comma, quote, CR or LF or
// starts/ends with a space.
void AppendCsvField(std::string_view field, std::string* out);

}  // namespace recd

#endif  // RECD_DATA_CSV_H_
