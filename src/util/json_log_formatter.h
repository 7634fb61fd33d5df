#ifndef RECD_UTIL_JSON_LOG_FORMATTER_H_
#define RECD_UTIL_JSON_LOG_FORMATTER_H_

#include <memory>

#include "spdlog/formatter.h"

namespace recd {

// Formats each spdlog record as one JSON object on one line, for log
// shippers (logging.format: json):
//   {"ts":"2026-11-27T06:54:42.123Z","level":"info","msg":"...","thread":1234}
// plus "logger" when the logger has a name and "src" ("file:line") when the
// call site is known. The message is escaped by nlohmann::json: quotes,
// backslashes and control characters are escaped, and bytes that are not
// UTF-8 become U+FFFD, so every line parses whatever was logged.
// Stateless; spdlog clones one per sink.
class JsonLogFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

// Switches every spdlog logger to `json` lines or back to spdlog's default
// text pattern. Safe while other threads log (spdlog locks each sink).
void UseJsonLogs(bool json);

}  // namespace recd

#endif  // RECD_UTIL_JSON_LOG_FORMATTER_H_
