// spdlog's default logger for the daemon: standard error, text or JSON lines.
#include "ops/logging.hpp"

#include <array>
#include <chrono>
#include <ctime>
#include <iterator>
#include <string>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include "base/json_text.hpp"

namespace parley {
namespace {

// The configuration's names, in spdlog's level order (trace = 0 ... off = 6).
// spdlog's own short names differ ("warning", "err"), and the log should speak
// the same words as `log.level`.
constexpr std::array<std::string_view, 7> kLevelNames{"trace", "debug",    "info", "warn",
                                                      "error", "critical", "off"};

std::string_view level_name(spdlog::level::level_enum level) {
  const auto index = static_cast<std::size_t>(level);
  return index < kLevelNames.size() ? kLevelNames[index] : std::string_view("unknown");
}

void append(spdlog::memory_buf_t& dest, std::string_view text) {
  dest.append(text.data(), text.data() + text.size());
}

// ISO 8601 in UTC with milliseconds: 2026-11-25T11:00:00.123Z.
void append_timestamp(spdlog::memory_buf_t& dest, spdlog::log_clock::time_point time) {
  using namespace std::chrono;
  const auto whole_seconds = floor<seconds>(time);
  const auto millis = duration_cast<milliseconds>(time - whole_seconds).count();
  const std::time_t since_epoch = system_clock::to_time_t(whole_seconds);
  std::tm utc{};
  gmtime_r(&since_epoch, &utc);
  fmt::format_to(std::back_inserter(dest), "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
                 utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min,
                 utc.tm_sec, millis);
}

// Text lines stay readable, but a newline or terminal escape coming from a
// client must not start a forged line or reach the operator's terminal.
void append_text_escaped(spdlog::memory_buf_t& dest, std::string_view text) {
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte != 0x7F) {
      dest.push_back(c);
    } else if (c == '\n') {
      append(dest, "\\n");
    } else if (c == '\r') {
      append(dest, "\\r");
    } else if (c == '\t') {
      append(dest, "\\t");
    } else {
      fmt::format_to(std::back_inserter(dest), "\\x{:02x}", byte);
    }
  }
}

// The message as a JSON string (base/json_text.hpp: escaped as the server's
// frames are, invalid UTF-8 replaced), with DEL escaped too, as the text
// format escapes it. A raw 0x7F in that string can only be a DEL of the
// message: no byte of a UTF-8 sequence (nor of U+FFFD) is below 0x80.
void append_json_message(spdlog::memory_buf_t& dest, std::string_view text, std::string& scratch) {
  scratch.clear();
  append_json_string(scratch, text);
  const std::string_view json(scratch);
  std::size_t from = 0;
  for (auto del = json.find('\x7f'); del != std::string_view::npos; del = json.find('\x7f', from)) {
    append(dest, json.substr(from, del - from));
    append(dest, "\\u007f");
    from = del + 1;
  }
  append(dest, json.substr(from));
}

class LineFormatter final : public spdlog::formatter {
 public:
  explicit LineFormatter(LogFormat format) : format_(format) {}

  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (format_ == LogFormat::json) {
      append(dest, "{\"ts\":\"");
      append_timestamp(dest, msg.time);
      append(dest, "\",\"level\":\"");
      append(dest, level_name(msg.level));
      append(dest, "\",\"msg\":");
      append_json_message(dest, payload, scratch_);
      append(dest, "}\n");
    } else {
      append_timestamp(dest, msg.time);
      dest.push_back(' ');
      append(dest, level_name(msg.level));
      dest.push_back(' ');
      append_text_escaped(dest, payload);
      dest.push_back('\n');
    }
  }

  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<LineFormatter>(format_);
  }

 private:
  LogFormat format_;
  // The JSON string of the message being formatted (spdlog formats under the
  // sink's lock): its buffer is reused from line to line.
  std::string scratch_;
};

}  // namespace

std::optional<spdlog::level::level_enum> log_level_from_name(std::string_view name) {
  for (std::size_t i = 0; i < kLevelNames.size(); ++i) {
    if (kLevelNames[i] == name) return static_cast<spdlog::level::level_enum>(i);
  }
  return std::nullopt;
}

std::optional<LogFormat> log_format_from_name(std::string_view name) {
  if (name == "text") return LogFormat::text;
  if (name == "json") return LogFormat::json;
  return std::nullopt;
}

std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format) {
  return std::make_unique<LineFormatter>(format);
}

void setup_logging(const LogConfig& config) {
  // One logger for the life of the process: a reload changes its level and
  // format in place (both are safe while other threads log), whereas replacing
  // the default logger while others use it is not.
  static const auto logger =
      std::make_shared<spdlog::logger>("parley", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_formatter(
      make_log_formatter(log_format_from_name(config.format).value_or(LogFormat::text)));
  logger->set_level(log_level_from_name(config.level).value_or(spdlog::level::info));
  if (spdlog::default_logger_raw() != logger.get()) spdlog::set_default_logger(logger);
}

}  // namespace parley
