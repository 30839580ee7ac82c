// Log lines: the text and JSON formats, escaping, and setup_logging.
#include "ops/logging.hpp"

#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/details/log_msg.h>
#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

namespace parley {
namespace {

using ::testing::HasSubstr;

// 2026-11-25T11:00:00.123Z
spdlog::log_clock::time_point example_time() {
  using namespace std::chrono;
  return spdlog::log_clock::time_point(sys_days(year(2026) / November / 25).time_since_epoch() +
                                       hours(11) + milliseconds(123));
}

std::string format_line(LogFormat format, spdlog::level::level_enum level,
                        std::string_view message) {
  const spdlog::details::log_msg msg(example_time(), spdlog::source_loc{}, "test", level,
                                     spdlog::string_view_t(message.data(), message.size()));
  spdlog::memory_buf_t buffer;
  make_log_formatter(format)->format(msg, buffer);
  return std::string(buffer.data(), buffer.size());
}

TEST(LogLevels, AreTheConfigurationNames) {
  EXPECT_EQ(log_level_from_name("trace"), spdlog::level::trace);
  EXPECT_EQ(log_level_from_name("debug"), spdlog::level::debug);
  EXPECT_EQ(log_level_from_name("info"), spdlog::level::info);
  EXPECT_EQ(log_level_from_name("warn"), spdlog::level::warn);
  EXPECT_EQ(log_level_from_name("error"), spdlog::level::err);
  EXPECT_EQ(log_level_from_name("critical"), spdlog::level::critical);
  EXPECT_EQ(log_level_from_name("off"), spdlog::level::off);
  EXPECT_EQ(log_level_from_name("warning"), std::nullopt);
  EXPECT_EQ(log_level_from_name("INFO"), std::nullopt);
  EXPECT_EQ(log_format_from_name("text"), LogFormat::text);
  EXPECT_EQ(log_format_from_name("json"), LogFormat::json);
  EXPECT_EQ(log_format_from_name("xml"), std::nullopt);
}

TEST(LogText, IsTimestampLevelMessage) {
  EXPECT_EQ(format_line(LogFormat::text, spdlog::level::info, "listening on 127.0.0.1:8080"),
            "2026-11-25T11:00:00.123Z info listening on 127.0.0.1:8080\n");
  EXPECT_EQ(format_line(LogFormat::text, spdlog::level::warn, "w"),
            "2026-11-25T11:00:00.123Z warn w\n");
  EXPECT_EQ(format_line(LogFormat::text, spdlog::level::err, "e"),
            "2026-11-25T11:00:00.123Z error e\n");
}

TEST(LogText, EscapesControlCharactersSoALineStaysOneLine) {
  EXPECT_EQ(format_line(LogFormat::text, spdlog::level::info, "room a\nforged\t\x1b[31m\r"),
            "2026-11-25T11:00:00.123Z info room a\\nforged\\t\\x1b[31m\\r\n");
}

TEST(LogJson, IsOneObjectPerLine) {
  const std::string line = format_line(LogFormat::json, spdlog::level::info, "hello");
  EXPECT_EQ(line, R"({"ts":"2026-11-25T11:00:00.123Z","level":"info","msg":"hello"})"
                  "\n");
}

TEST(LogJson, EscapesQuotesBackslashesAndControlCharacters) {
  const std::string message = "a \"quoted\" \\ path\nnext\tline\x01\x7f end";
  const std::string line = format_line(LogFormat::json, spdlog::level::critical, message);
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.find('\n'), line.size() - 1);  // only the line's own end
  const auto parsed = nlohmann::json::parse(line);
  EXPECT_EQ(parsed["msg"], message);
  EXPECT_EQ(parsed["level"], "critical");
}

// The bytes of a JSON line, for messages that are valid UTF-8: escapes as
// JSON writes them (\uXXXX in lower case), DEL escaped as well, anything beyond
// ASCII as it is. An ASCII message and one with UTF-8 take different paths of
// append_json_string; both must give these bytes.
TEST(LogJson, WritesValidUtf8MessagesByteForByte) {
  EXPECT_EQ(format_line(LogFormat::json, spdlog::level::info,
                        "say \"hi\" \\ \b\f\n\r\t\x01\x1f\x7f/\x7f end"),
            R"({"ts":"2026-11-25T11:00:00.123Z","level":"info","msg":)"
            R"("say \"hi\" \\ \b\f\n\r\t\u0001\u001f\u007f/\u007f end"})"
            "\n");
  EXPECT_EQ(format_line(LogFormat::json, spdlog::level::warn,
                        "caf\xc3\xa9 \"\xf0\x9f\x8e\xa5\"\n\x1b[31m\x7f\xe2\x82\xac"),
            R"({"ts":"2026-11-25T11:00:00.123Z","level":"warn","msg":)"
            "\"caf\xc3\xa9 \\\"\xf0\x9f\x8e\xa5\\\"\\n\\u001b[31m\\u007f\xe2\x82\xac\"}\n");
}

TEST(LogJson, KeepsUtf8AndReplacesInvalidBytes) {
  const std::string line =
      format_line(LogFormat::json, spdlog::level::info, "caf\xc3\xa9 \xf0\x9f\x8e\xa5 \xff\xc3");
  const auto parsed = nlohmann::json::parse(line);  // throws on invalid UTF-8
  EXPECT_EQ(parsed["msg"], "caf\xc3\xa9 \xf0\x9f\x8e\xa5 \xef\xbf\xbd\xef\xbf\xbd");
  // Overlong encodings and surrogates are not UTF-8 either.
  EXPECT_EQ(nlohmann::json::parse(
                format_line(LogFormat::json, spdlog::level::info, "\xc0\xaf\xed\xa0\x80"))["msg"],
            "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
}

TEST(SetupLogging, WritesToStandardErrorAndCanBeCalledAgain) {
  setup_logging({.level = "warn", .format = "json"});
  ::testing::internal::CaptureStderr();
  spdlog::info("not shown");
  spdlog::warn("shown \"{}\"", "x");
  std::string captured = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(captured, ::testing::Not(HasSubstr("not shown")));
  ASSERT_EQ(std::count(captured.begin(), captured.end(), '\n'), 1) << captured;
  const auto parsed = nlohmann::json::parse(captured);
  EXPECT_EQ(parsed["msg"], "shown \"x\"");
  EXPECT_EQ(parsed["level"], "warn");

  setup_logging({.level = "debug", .format = "text"});  // a reload
  ::testing::internal::CaptureStderr();
  spdlog::debug("now shown");
  captured = ::testing::internal::GetCapturedStderr();
  EXPECT_THAT(captured, HasSubstr(" debug now shown\n"));

  setup_logging(LogConfig{});
}

}  // namespace
}  // namespace parley
