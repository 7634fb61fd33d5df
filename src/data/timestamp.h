#ifndef RECD_DATA_TIMESTAMP_H_
#define RECD_DATA_TIMESTAMP_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace recd {

// Parses event-log timestamps into seconds since the epoch: a (signed)
// integer, or ISO-8601 "YYYY-MM-DD[T| ]hh:mm:ss[.fff][Z|+hh:mm|-hh:mm|+hhmm]"
// where no zone means UTC and fractions are truncated. Field ranges are
// checked (no February 30th). nullopt for anything else.
std::optional<int64_t> ParseTimestamp(std::string_view text);

// "2024-05-01T12:00:00Z" for summaries and logs.
std::string FormatIso8601Utc(int64_t seconds);

}  // namespace recd

#endif  // RECD_DATA_TIMESTAMP_H_
