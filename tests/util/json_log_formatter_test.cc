#include "util/json_log_formatter.h"

#include <memory>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace recd {
namespace {

// A logger named `name` writing JSON lines into `out`.
std::shared_ptr<spdlog::logger> JsonLogger(const std::string& name, std::ostringstream& out) {
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>(name, sink);
  logger->set_formatter(std::make_unique<JsonLogFormatter>());
  logger->set_level(spdlog::level::trace);
  return logger;
}

std::vector<nlohmann::json> ParseLines(const std::string& text) {
  std::vector<nlohmann::json> out;
  const std::vector<std::string> lines = absl::StrSplit(text, '\n', absl::SkipEmpty());
  for (const std::string& line : lines) {
    out.push_back(nlohmann::json::parse(line));  // throws (fails the test) on invalid JSON
  }
  return out;
}

TEST(JsonLogFormatterTest, LineHasTimestampLevelMessageLoggerAndThread) {
  std::ostringstream out;
  JsonLogger("recd", out)->warn("reload rejected: {}", "bad key");
  const std::vector<nlohmann::json> lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  const nlohmann::json& j = lines[0];
  EXPECT_EQ(j["level"], "warning");
  EXPECT_EQ(j["msg"], "reload rejected: bad key");
  EXPECT_EQ(j["logger"], "recd");
  EXPECT_TRUE(j["thread"].is_number_unsigned());
  EXPECT_TRUE(std::regex_match(j["ts"].get<std::string>(),
                               std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")))
      << j["ts"];
}

TEST(JsonLogFormatterTest, TimestampIsUtcWithMilliseconds) {
  JsonLogFormatter f;
  // 2026-11-27T06:54:42.007Z
  const auto t = spdlog::log_clock::time_point(std::chrono::milliseconds(1795762482007LL));
  spdlog::details::log_msg msg(t, spdlog::source_loc{}, "", spdlog::level::info, "x");
  spdlog::memory_buf_t buf;
  f.format(msg, buf);
  const nlohmann::json j = nlohmann::json::parse(std::string(buf.data(), buf.size()));
  EXPECT_EQ(j["ts"], "2026-11-27T06:54:42.007Z");
  EXPECT_FALSE(j.contains("logger"));  // the default logger has no name
}

TEST(JsonLogFormatterTest, EachRecordIsExactlyOneLine) {
  std::ostringstream out;
  auto logger = JsonLogger("recd", out);
  logger->info("first\nsecond\r\nthird");
  logger->error("next");
  const std::vector<nlohmann::json> lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0]["msg"], "first\nsecond\r\nthird");
  EXPECT_EQ(lines[1]["msg"], "next");
}

TEST(JsonLogFormatterTest, QuotesBackslashesAndControlCharactersRoundTrip) {
  std::ostringstream out;
  const std::string nasty =
      std::string("say \"hi\" C:\\path\\ tab\there bell\a nul") + '\0' + "end";
  JsonLogger("recd", out)->info("{}", nasty);
  const std::vector<nlohmann::json> lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["msg"].get<std::string>(), nasty);
}

TEST(JsonLogFormatterTest, InvalidUtf8StillGivesValidJson) {
  std::ostringstream out;
  JsonLogger("recd", out)->info("user \xff\xfe id \xc3 and caf\xc3\xa9");
  const std::vector<nlohmann::json> lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  // Bad bytes become U+FFFD; valid UTF-8 (é) is kept.
  EXPECT_EQ(lines[0]["msg"], "user \xEF\xBF\xBD\xEF\xBF\xBD id \xEF\xBF\xBD and caf\xc3\xa9");
}

TEST(JsonLogFormatterTest, SourceLocationIsIncludedWhenKnown) {
  std::ostringstream out;
  JsonLogger("recd", out)
      ->log(spdlog::source_loc{"serving_state.cc", 42, "Build"}, spdlog::level::info, "x");
  const std::vector<nlohmann::json> lines = ParseLines(out.str());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["src"], "serving_state.cc:42");
}

TEST(JsonLogFormatterTest, UseJsonLogsSwitchesRegisteredLoggersAndBack) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto logger = std::make_shared<spdlog::logger>("switch_test", sink);
  spdlog::register_logger(logger);
  UseJsonLogs(true);
  logger->info("as json");
  UseJsonLogs(false);
  logger->info("as text");
  spdlog::drop("switch_test");
  const std::vector<std::string> lines = absl::StrSplit(out.str(), '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(nlohmann::json::parse(lines[0])["msg"], "as json");
  EXPECT_FALSE(nlohmann::json::accept(lines[1]));
  EXPECT_NE(lines[1].find("[switch_test] [info] as text"), std::string::npos) << lines[1];
}

}  // namespace
}  // namespace recd
