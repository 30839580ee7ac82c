// Where and how the daemon logs: spdlog's default logger, writing one line per
// message to standard error (systemd's journal and container runtimes collect
// it from there), either as readable text or as one JSON object per line.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include <spdlog/common.h>
#include <spdlog/formatter.h>

#include "config/config.hpp"

namespace parley {

enum class LogFormat { text, json };

// The spdlog level named by a `log.level` value (trace, debug, info, warn, error,
// critical, off); nullopt for any other name.
std::optional<spdlog::level::level_enum> log_level_from_name(std::string_view name);

// The format named by a `log.format` value (text, json); nullopt otherwise.
std::optional<LogFormat> log_format_from_name(std::string_view name);

// Formats one message as a line:
//   text: 2026-11-25T11:00:00.123Z info message
//   json: {"ts":"2026-11-25T11:00:00.123Z","level":"info","msg":"message"}
// Control characters in the message are escaped in both formats, so a message
// carrying client input can never forge or split a line; in json, invalid UTF-8
// becomes U+FFFD so that every line is valid JSON.
std::unique_ptr<spdlog::formatter> make_log_formatter(LogFormat format);

// Points spdlog's default logger at standard error with the level and format of
// `config`. Safe to call again (a configuration reload): the same logger is
// kept and only its level and format change. An unknown level or format (the
// configuration was not validated) falls back to info and text.
void setup_logging(const LogConfig& config);

}  // namespace parley
