#include "util/json_log_formatter.h"

#include <chrono>
#include <ctime>
#include <string>

#include "nlohmann/json.hpp"
#include "spdlog/pattern_formatter.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// ISO-8601 UTC with milliseconds: what log shippers parse without a pattern.
std::string IsoTimestamp(spdlog::log_clock::time_point t) {
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
  const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  return fmt::format("{}.{:03d}Z", std::string_view(buf, n), static_cast<int>(ms % 1000));
}

}  // namespace

void JsonLogFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  nlohmann::ordered_json j;
  j["ts"] = IsoTimestamp(msg.time);
  const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
  j["level"] = std::string(level.data(), level.size());
  j["msg"] = std::string(msg.payload.data(), msg.payload.size());
  if (msg.logger_name.size() > 0)
    j["logger"] = std::string(msg.logger_name.data(), msg.logger_name.size());
  j["thread"] = msg.thread_id;
  if (!msg.source.empty()) j["src"] = fmt::format("{}:{}", msg.source.filename, msg.source.line);
  // replace: invalid UTF-8 (a user id, a file's bytes) becomes U+FFFD
  // instead of throwing from inside a log call.
  const std::string line = j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  dest.append(line.data(), line.data() + line.size());
  dest.push_back('\n');
}

std::unique_ptr<spdlog::formatter> JsonLogFormatter::clone() const {
  return std::make_unique<JsonLogFormatter>();
}

void UseJsonLogs(bool json) {
  if (json) {
    spdlog::set_formatter(std::make_unique<JsonLogFormatter>());
  } else {
    spdlog::set_formatter(std::make_unique<spdlog::pattern_formatter>());  // spdlog's default "%+"
  }
}

}  // namespace recd
