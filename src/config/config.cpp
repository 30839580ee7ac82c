// Builds the Config in layers (defaults < file < PARLEY_* environment < command
// line) and checks every value on the way in, so that the rest of the daemon can
// trust it. All problems are collected, not just the first, so that an operator
// fixes a broken file in one round.
#include "config/config.hpp"

#include <array>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <fstream>
#include <limits>
#include <string_view>
#include <system_error>

#include <boost/asio/ip/address.hpp>

#include "base/http_url.hpp"
#include "config/redis_url.hpp"
#include "ops/logging.hpp"

extern char** environ;  // POSIX: the process environment

namespace parley {
namespace {

using nlohmann::json;

// The longest duration accepted: a year. Longer values are surely typos, and
// bounding them keeps every conversion to std::chrono types far from overflow.
constexpr double kLongestDuration = 365.0 * 24 * 60 * 60;
constexpr std::uint64_t kNoMaximum = std::numeric_limits<std::uint64_t>::max();
constexpr unsigned kMostThreads = 256;

// "a string", "an array", ... for messages about a value of the wrong type.
std::string describe_type(const json& value) {
  switch (value.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::object:
      return "an object";
    case json::value_t::array:
      return "an array";
    case json::value_t::string:
      return "a string";
    case json::value_t::boolean:
      return "a boolean";
    case json::value_t::binary:
      return "binary data";
    case json::value_t::discarded:
      return "nothing";
    default:
      return "a number";
  }
}

// For values of numeric keys, which hold no secrets: showing the text helps
// more than the type (PARLEY_LISTEN_PORT=80x: got the string "80x").
std::string describe_non_number(const json& value) {
  if (!value.is_string()) return describe_type(value);
  constexpr std::size_t kLongest = 60;
  const auto& text = value.get_ref<const std::string&>();
  if (text.size() > kLongest) return "a string of " + std::to_string(text.size()) + " characters";
  return "the string " + value.dump();
}

// nlohmann's messages start with "[json.exception.parse_error.101] "; the
// operator needs only the part that says where and what.
std::string parse_error_text(const json::parse_error& error) {
  const std::string_view text = error.what();
  const auto end_of_tag = text.find("] ");
  return std::string(end_of_tag == std::string_view::npos ? text : text.substr(end_of_tag + 2));
}

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

// "[2]": where an item of a list is. Built by appending: GCC 12 at -O2 warns,
// falsely, about "literal" + std::string&& (-Wstringop-overflow, GCC bug 105651).
std::string index_path(std::size_t index) {
  std::string path = "[";
  path.append(std::to_string(index)).push_back(']');
  return path;
}

// Reports the problems of one key: every line starts with its dotted name and
// ends with where the value came from when that was not the file.
class KeyProblems {
 public:
  KeyProblems(std::string_view key, std::string_view origin, std::vector<std::string>& lines)
      : key_(key), origin_(origin), lines_(lines) {}

  void add(std::string_view what) { add_at("", what); }

  // A problem inside the value, e.g. at "[2].urls" of ice_servers.
  void add_at(std::string_view path, std::string_view what) {
    std::string line(key_);
    line.append(path).append(": ").append(what);
    if (!origin_.empty()) line.append(" (from ").append(origin_).append(")");
    lines_.push_back(std::move(line));
  }

 private:
  std::string_view key_;
  std::string_view origin_;
  std::vector<std::string>& lines_;
};

template <typename Target, typename Value>
void assign(Target& target, const std::optional<Value>& value) {
  if (value) target = static_cast<Target>(*value);
}

// ---- Readers: each returns the value when it is acceptable, or reports why not.

std::optional<std::string> read_string(const json& value, KeyProblems& problems) {
  if (value.is_string()) return value.get<std::string>();
  problems.add("expected a string, got " + describe_type(value));
  return std::nullopt;
}

std::string integer_range_text(std::uint64_t least, std::uint64_t most) {
  if (most != kNoMaximum) {
    return "an integer from " + std::to_string(least) + " to " + std::to_string(most);
  }
  if (least == 0) return "a non-negative integer";
  return "an integer of at least " + std::to_string(least);
}

// A whole number in [least, most]. 4.0 counts as whole; 4.5 and -1 do not.
std::optional<std::uint64_t> read_integer(const json& value, std::uint64_t least,
                                          std::uint64_t most, KeyProblems& problems) {
  const std::string expected = "expected " + integer_range_text(least, most);
  if (!value.is_number()) {
    problems.add(expected + ", got " + describe_non_number(value));
    return std::nullopt;
  }
  std::optional<std::uint64_t> whole;
  if (value.is_number_unsigned()) {
    whole = value.get<std::uint64_t>();
  } else if (value.is_number_integer()) {
    const auto signed_value = value.get<std::int64_t>();
    if (signed_value >= 0) whole = static_cast<std::uint64_t>(signed_value);
  } else {
    const double number = value.get<double>();
    // 2^64 is exactly representable; anything at or above it does not fit.
    if (number >= 0 && number < 18446744073709551616.0 && std::floor(number) == number) {
      whole = static_cast<std::uint64_t>(number);
    }
  }
  if (!whole || *whole < least || *whole > most) {
    problems.add(expected + ", got " + value.dump());
    return std::nullopt;
  }
  return whole;
}

std::optional<std::uint64_t> read_port(const json& value, KeyProblems& problems) {
  return read_integer(value, 0, 65535, problems);
}

// Seconds, fractions allowed. Zero only where it has a meaning (resume off).
std::optional<double> read_seconds(const json& value, bool zero_allowed, KeyProblems& problems) {
  const std::string longest = std::to_string(static_cast<std::uint64_t>(kLongestDuration));
  const std::string expected =
      "expected a number of seconds " +
      (zero_allowed ? "from 0 to " + longest : "greater than 0 and at most " + longest);
  if (!value.is_number()) {
    problems.add(expected + ", got " + describe_non_number(value));
    return std::nullopt;
  }
  const double seconds = value.get<double>();
  const bool low_ok = zero_allowed ? seconds >= 0 : seconds > 0;
  if (!low_ok || !(seconds <= kLongestDuration)) {
    problems.add(expected + ", got " + value.dump());
    return std::nullopt;
  }
  return seconds;
}

std::optional<double> read_positive_rate(const json& value, KeyProblems& problems) {
  if (!value.is_number()) {
    problems.add("expected a number greater than 0, got " + describe_non_number(value));
    return std::nullopt;
  }
  const double rate = value.get<double>();
  if (!(rate > 0) || !std::isfinite(rate)) {
    problems.add("expected a number greater than 0, got " + value.dump());
    return std::nullopt;
  }
  return rate;
}

std::optional<std::vector<std::string>> read_string_list(const json& value, KeyProblems& problems) {
  if (!value.is_array()) {
    problems.add("expected an array of strings, got " + describe_type(value));
    return std::nullopt;
  }
  std::vector<std::string> list;
  bool all_strings = true;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i].is_string()) {
      list.push_back(value[i].get<std::string>());
    } else {
      problems.add_at(index_path(i), "expected a string, got " + describe_type(value[i]));
      all_strings = false;
    }
  }
  if (!all_strings) return std::nullopt;
  return list;
}

// Asio binds to an IP address, not a host name; catching that here gives a
// clear message instead of a failure deep in the listener's start.
std::optional<std::string> read_ip_address(const json& value, KeyProblems& problems) {
  auto text = read_string(value, problems);
  if (!text) return std::nullopt;
  boost::system::error_code error;
  boost::asio::ip::make_address(*text, error);
  if (error) {
    problems.add("expected an IP address such as 0.0.0.0, 127.0.0.1 or ::, got " + value.dump());
    return std::nullopt;
  }
  return text;
}

// Browsers send the Origin header as scheme://host[:port], never with a path,
// so an entry with one (often a trailing slash) could never match.
std::optional<std::vector<std::string>> read_origins(const json& value, KeyProblems& problems) {
  auto origins = read_string_list(value, problems);
  if (!origins) return std::nullopt;
  bool all_valid = true;
  for (std::size_t i = 0; i < origins->size(); ++i) {
    const std::string& origin = (*origins)[i];
    const auto scheme_end = origin.find("://");
    if (scheme_end != std::string::npos && origin.find('/', scheme_end + 3) != std::string::npos) {
      problems.add_at(index_path(i),
                      "an origin has no path (write scheme://host[:port] without a trailing "
                      "slash), got " +
                          json(origin).dump());
      all_valid = false;
    }
  }
  if (!all_valid) return std::nullopt;
  return origins;
}

// Browsers reject an RTCPeerConnection configuration with other schemes, which
// would break every call, so such URLs are refused here instead.
bool is_ice_url(std::string_view url) {
  return starts_with(url, "stun:") || starts_with(url, "stuns:") || starts_with(url, "turn:") ||
         starts_with(url, "turns:");
}

constexpr std::string_view kIceUrlText = "expected stun:, stuns:, turn: or turns: URLs";

std::optional<std::vector<std::string>> read_ice_urls(const json& value, KeyProblems& problems) {
  auto urls = read_string_list(value, problems);
  if (!urls) return std::nullopt;
  bool all_valid = true;
  for (std::size_t i = 0; i < urls->size(); ++i) {
    if (!is_ice_url((*urls)[i])) {
      problems.add_at(index_path(i), std::string(kIceUrlText) + ", got " + json((*urls)[i]).dump());
      all_valid = false;
    }
  }
  if (!all_valid) return std::nullopt;
  return urls;
}

// RTCIceServer objects are passed to clients as they are; only what a browser
// would reject is checked (urls, and the types of username and credential).
std::optional<json> read_ice_servers(const json& value, KeyProblems& problems) {
  if (!value.is_array()) {
    problems.add("expected an array of RTCIceServer objects, got " + describe_type(value));
    return std::nullopt;
  }
  bool all_valid = true;
  auto invalid = [&](const std::string& path, std::string_view what) {
    problems.add_at(path, what);
    all_valid = false;
  };
  for (std::size_t i = 0; i < value.size(); ++i) {
    const json& server = value[i];
    const std::string at = index_path(i);
    if (!server.is_object()) {
      invalid(at, "expected an object with \"urls\", got " + describe_type(server));
      continue;
    }
    const auto urls = server.find("urls");
    if (urls == server.end()) {
      invalid(at + ".urls", "missing (a string or an array of strings)");
    } else if (urls->is_string()) {
      if (!is_ice_url(urls->get<std::string>())) {
        invalid(at + ".urls", std::string(kIceUrlText) + ", got " + urls->dump());
      }
    } else if (urls->is_array() && !urls->empty()) {
      for (const json& url : *urls) {
        if (!url.is_string()) {
          invalid(at + ".urls",
                  "expected a string or an array of strings, got an element that "
                  "is " +
                      describe_type(url));
        } else if (!is_ice_url(url.get<std::string>())) {
          invalid(at + ".urls", std::string(kIceUrlText) + ", got " + url.dump());
        }
      }
    } else {
      invalid(at + ".urls",
              "expected a string or a non-empty array of strings, got " +
                  (urls->is_array() ? std::string("an empty array") : describe_type(*urls)));
    }
    for (const char* field : {"username", "credential"}) {
      const auto member = server.find(field);
      if (member != server.end() && !member->is_string()) {
        invalid(at + "." + field, "expected a string, got " + describe_type(*member));
      }
    }
  }
  if (!all_valid) return std::nullopt;
  return value;
}

std::optional<std::string> read_log_level(const json& value, KeyProblems& problems) {
  auto level = read_string(value, problems);
  if (level && !log_level_from_name(*level)) {
    problems.add("expected one of trace, debug, info, warn, error, critical, off, got " +
                 value.dump());
    return std::nullopt;
  }
  return level;
}

std::optional<std::string> read_log_format(const json& value, KeyProblems& problems) {
  auto format = read_string(value, problems);
  if (format && !log_format_from_name(*format)) {
    problems.add("expected text or json, got " + value.dump());
    return std::nullopt;
  }
  return format;
}

// The URL may carry a password, so it is not repeated in the message.
std::optional<std::string> read_redis_url(const json& value, KeyProblems& problems) {
  auto url = read_string(value, problems);
  if (!url || url->empty()) return url;
  std::string error;
  if (!parse_redis_url(*url, error)) {
    problems.add(error);
    return std::nullopt;
  }
  return url;
}

// Webhook receivers: absolute http:// or https:// URLs. The URL may carry a
// token in its query, so a bad one is described, not repeated.
std::optional<std::vector<std::string>> read_webhook_urls(const json& value,
                                                          KeyProblems& problems) {
  auto urls = read_string_list(value, problems);
  if (!urls) return std::nullopt;
  bool all_valid = true;
  for (std::size_t i = 0; i < urls->size(); ++i) {
    std::string why;
    if (!parse_http_url((*urls)[i], &why)) {
      problems.add_at(index_path(i), "expected an http:// or https:// URL: " + why);
      all_valid = false;
    }
  }
  if (!all_valid) return std::nullopt;
  return urls;
}

// ---- The keys.

// How the text of a PARLEY_* variable becomes a JSON value for its key.
enum class EnvironmentText {
  string,     // taken literally (a JSON-quoted string is unquoted)
  scalar,     // a number or boolean, parsed from its text
  list,       // a JSON array, or comma-separated items
  json_value  // JSON
};

struct Setting {
  std::string_view key;  // dotted, as in interface-v1.md
  EnvironmentText environment_text;
  void (*apply)(Config&, const json&, KeyProblems&);
};

using E = EnvironmentText;

// Every key of the contract. A key added here is known to the file, the
// environment and the unknown-key checks at once.
const std::array kSettings{
    Setting{"listen.address", E::string,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.listen.address, read_ip_address(v, p));
            }},
    Setting{
        "listen.port", E::scalar,
        [](Config& c, const json& v, KeyProblems& p) { assign(c.listen.port, read_port(v, p)); }},
    Setting{
        "tls.cert", E::string,
        [](Config& c, const json& v, KeyProblems& p) { assign(c.tls.cert, read_string(v, p)); }},
    Setting{"tls.key", E::string,
            [](Config& c, const json& v, KeyProblems& p) { assign(c.tls.key, read_string(v, p)); }},
    Setting{"admin.address", E::string,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.admin.address, read_ip_address(v, p));
            }},
    Setting{
        "admin.port", E::scalar,
        [](Config& c, const json& v, KeyProblems& p) { assign(c.admin.port, read_port(v, p)); }},
    Setting{
        "admin.token", E::string,
        [](Config& c, const json& v, KeyProblems& p) { assign(c.admin.token, read_string(v, p)); }},
    Setting{"threads", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.threads, read_integer(v, 0, kMostThreads, p));
            }},
    Setting{
        "static_dir", E::string,
        [](Config& c, const json& v, KeyProblems& p) { assign(c.static_dir, read_string(v, p)); }},
    Setting{"allowed_origins", E::list,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.allowed_origins, read_origins(v, p));
            }},
    Setting{"limits.max_message_bytes", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              // Below 64 bytes not even the smallest message of protocol v1 fits.
              assign(c.limits.max_message_bytes, read_integer(v, 64, kNoMaximum, p));
            }},
    Setting{"limits.max_peers_per_room", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.max_peers_per_room, read_integer(v, 1, kNoMaximum, p));
            }},
    Setting{"limits.max_rooms", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.max_rooms, read_integer(v, 1, kNoMaximum, p));
            }},
    Setting{"limits.max_connections", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.max_connections, read_integer(v, 1, kNoMaximum, p));
            }},
    Setting{"limits.max_connections_per_ip", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.max_connections_per_ip, read_integer(v, 0, kNoMaximum, p));
            }},
    Setting{"limits.messages_per_second", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.messages_per_second, read_positive_rate(v, p));
            }},
    Setting{"limits.message_burst", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.message_burst, read_integer(v, 1, kNoMaximum, p));
            }},
    Setting{"limits.max_send_queue_bytes", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.max_send_queue_bytes, read_integer(v, 1, kNoMaximum, p));
            }},
    Setting{"limits.max_meta_bytes", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              // "{}", the smallest metadata, is 2 bytes.
              assign(c.limits.max_meta_bytes, read_integer(v, 2, kNoMaximum, p));
            }},
    Setting{"limits.max_watches", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.max_watches, read_integer(v, 0, kNoMaximum, p));
            }},
    Setting{"limits.handshake_timeout", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.limits.handshake_timeout, read_seconds(v, false, p));
            }},
    Setting{"heartbeat.ping_interval", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.heartbeat.ping_interval, read_seconds(v, false, p));
            }},
    Setting{"heartbeat.ping_timeout", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.heartbeat.ping_timeout, read_seconds(v, false, p));
            }},
    Setting{"resume.grace", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.resume.grace, read_seconds(v, true, p));  // 0: resume off
            }},
    Setting{"resume.buffer_messages", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.resume.buffer_messages, read_integer(v, 0, kNoMaximum, p));
            }},
    Setting{"auth.jwt_secret", E::string,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.auth.jwt_secret, read_string(v, p));
            }},
    Setting{"ice_servers", E::json_value,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.ice_servers, read_ice_servers(v, p));
            }},
    Setting{
        "turn.urls", E::list,
        [](Config& c, const json& v, KeyProblems& p) { assign(c.turn.urls, read_ice_urls(v, p)); }},
    Setting{
        "turn.secret", E::string,
        [](Config& c, const json& v, KeyProblems& p) { assign(c.turn.secret, read_string(v, p)); }},
    Setting{"turn.ttl", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.turn.ttl, read_seconds(v, false, p));
            }},
    Setting{"cluster.redis", E::string,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.cluster.redis, read_redis_url(v, p));
            }},
    Setting{"webhooks.urls", E::list,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.webhooks.urls, read_webhook_urls(v, p));
            }},
    Setting{"webhooks.secret", E::string,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.webhooks.secret, read_string(v, p));
            }},
    Setting{"webhooks.timeout", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.webhooks.timeout, read_seconds(v, false, p));
            }},
    Setting{"webhooks.max_queue", E::scalar,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.webhooks.max_queue, read_integer(v, 1, kNoMaximum, p));
            }},
    Setting{"log.level", E::string,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.log.level, read_log_level(v, p));
            }},
    Setting{"log.format", E::string,
            [](Config& c, const json& v, KeyProblems& p) {
              assign(c.log.format, read_log_format(v, p));
            }},
};

const Setting* find_setting(std::string_view key) {
  for (const Setting& setting : kSettings) {
    if (setting.key == key) return &setting;
  }
  return nullptr;
}

bool is_section(std::string_view name) {
  for (const Setting& setting : kSettings) {
    const auto dot = setting.key.find('.');
    if (dot != std::string_view::npos && setting.key.substr(0, dot) == name) return true;
  }
  return false;
}

void apply_setting(Config& config, const Setting& setting, const json& value,
                   std::string_view origin, std::vector<std::string>& problems) {
  KeyProblems key_problems(setting.key, origin, problems);
  setting.apply(config, value, key_problems);
}

// ---- The environment layer.

constexpr std::string_view kEnvironmentPrefix = "PARLEY_";

// "limits.max_peers_per_room" -> "PARLEY_LIMITS_MAX_PEERS_PER_ROOM"
std::string environment_name(std::string_view key) {
  std::string name(kEnvironmentPrefix);
  for (const char c : key) {
    name.push_back(c == '.' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return name;
}

// Keys contain underscores too, so a variable is matched against the names of
// the known keys rather than split at its underscores.
const Setting* find_setting_by_environment_name(std::string_view name) {
  for (const Setting& setting : kSettings) {
    if (environment_name(setting.key) == name) return &setting;
  }
  return nullptr;
}

// The dotted key an unknown variable was probably meant to set, for the message:
// PARLEY_LIMITS_FOO -> limits.foo, PARLEY_FOO -> foo.
std::string guessed_key(std::string_view name) {
  std::string key;
  for (const char c : name.substr(kEnvironmentPrefix.size())) {
    key.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  const auto underscore = key.find('_');
  if (underscore != std::string::npos && is_section(key.substr(0, underscore))) {
    key[underscore] = '.';
  }
  return key;
}

std::string_view trim(std::string_view text) {
  const auto first = text.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return {};
  const auto last = text.find_last_not_of(" \t\r\n");
  return text.substr(first, last - first + 1);
}

// "a, b,c" -> ["a", "b", "c"]: simpler to write in a unit file or a shell than
// JSON when no item contains a comma (origins and ICE URLs do not).
json comma_separated(std::string_view text) {
  json items = json::array();
  while (!text.empty()) {
    const auto comma = text.find(',');
    const auto item = trim(text.substr(0, comma));
    if (!item.empty()) items.push_back(std::string(item));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return items;
}

// The JSON value a variable's text stands for; nullopt (after reporting) when
// the text should have been JSON and is not.
std::optional<json> environment_value(const Setting& setting, const std::string& text,
                                      KeyProblems& problems) {
  const auto parse = [&]() -> std::optional<json> {
    try {
      return json::parse(text);
    } catch (const json::parse_error& error) {
      problems.add("not valid JSON: " + parse_error_text(error));
      return std::nullopt;
    }
  };
  switch (setting.environment_text) {
    case E::string:
      if (starts_with(trim(text), "\"")) {
        const json quoted = json::parse(text, nullptr, false);
        if (quoted.is_string()) return quoted;
      }
      return json(text);
    case E::scalar: {
      // Not a number (or boolean) at all: hand on the text, whose type the
      // key's reader then reports ("expected an integer ..., got a string").
      const json parsed = json::parse(text, nullptr, false);
      if (parsed.is_number() || parsed.is_boolean()) return parsed;
      return json(text);
    }
    case E::list:
      if (starts_with(trim(text), "[")) return parse();
      return comma_separated(text);
    case E::json_value:
      return parse();
  }
  return std::nullopt;
}

void apply_environment(Config& config, const std::map<std::string, std::string>& environment,
                       std::vector<std::string>& problems) {
  for (const auto& [name, text] : environment) {
    if (!starts_with(name, kEnvironmentPrefix)) continue;
    const Setting* setting = find_setting_by_environment_name(name);
    if (setting == nullptr) continue;  // config_warnings() names it: other tools share PARLEY_*
    KeyProblems key_problems(setting->key, name, problems);
    if (const auto value = environment_value(*setting, text, key_problems)) {
      setting->apply(config, *value, key_problems);
    }
  }
}

// ---- The file layer.

std::optional<json> read_config_file(const std::string& file, std::vector<std::string>& problems) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    problems.push_back(file + ": cannot open: " + std::generic_category().message(errno));
    return std::nullopt;
  }
  std::string text;
  std::array<char, 4096> chunk{};
  while (in.read(chunk.data(), chunk.size()) || in.gcount() > 0) {
    text.append(chunk.data(), static_cast<std::size_t>(in.gcount()));
  }
  if (in.bad()) {
    problems.push_back(file + ": cannot read: " + std::generic_category().message(errno));
    return std::nullopt;
  }
  try {
    return json::parse(text, nullptr, true, /*ignore_comments=*/true);
  } catch (const json::parse_error& error) {
    problems.push_back(file + ": not valid JSON: " + parse_error_text(error));
    return std::nullopt;
  }
}

// ---- Checks of keys that depend on each other (on the final values).

void check_combinations(const Config& config, std::vector<std::string>& problems) {
  if (!config.tls.cert.empty() && config.tls.key.empty()) {
    problems.push_back("tls.key: must be set when tls.cert is set (TLS needs both)");
  }
  if (config.tls.cert.empty() && !config.tls.key.empty()) {
    problems.push_back("tls.cert: must be set when tls.key is set (TLS needs both)");
  }
  if (!config.webhooks.urls.empty() && config.webhooks.secret.empty()) {
    problems.push_back(
        "webhooks.secret: must be set when webhooks.urls is not empty (it signs every event)");
  }
  if (!config.turn.secret.empty() && config.turn.urls.empty()) {
    problems.push_back("turn.urls: must list at least one TURN URL when turn.secret is set");
  }
}

std::string join_lines(const std::vector<std::string>& lines) {
  std::string joined;
  for (const std::string& line : lines) {
    if (!joined.empty()) joined.push_back('\n');
    joined.append(line);
  }
  return joined;
}

}  // namespace

bool Config::origin_allowed(std::string_view origin) const {
  if (origin.empty()) return true;
  for (const std::string& allowed : allowed_origins) {
    if (allowed == "*" || allowed == origin) return true;
  }
  return false;
}

ConfigError::ConfigError(std::vector<std::string> problems)
    : std::runtime_error(join_lines(problems)), problems_(std::move(problems)) {}

void apply_config_json(Config& config, const nlohmann::json& document,
                       std::vector<std::string>& problems) {
  if (!document.is_object()) {
    problems.push_back("configuration: expected a JSON object, got " + describe_type(document));
    return;
  }
  for (const auto& [name, value] : document.items()) {
    if (!is_section(name)) {
      const Setting* setting = find_setting(name);
      if (setting == nullptr) {
        problems.push_back(name + ": unknown key");
      } else {
        apply_setting(config, *setting, value, "", problems);
      }
      continue;
    }
    if (!value.is_object()) {
      problems.push_back(name + ": expected an object, got " + describe_type(value));
      continue;
    }
    for (const auto& [member, member_value] : value.items()) {
      const std::string key = name + "." + member;
      const Setting* setting = find_setting(key);
      if (setting == nullptr) {
        problems.push_back(key + ": unknown key");
      } else {
        apply_setting(config, *setting, member_value, "", problems);
      }
    }
  }
}

Config load_config(const std::string& file, const std::map<std::string, std::string>& environment,
                   const CommandLineOverrides& cli) {
  Config config;
  std::vector<std::string> problems;
  if (!file.empty()) {
    if (const auto document = read_config_file(file, problems)) {
      if (document->is_object()) {
        apply_config_json(config, *document, problems);
      } else {
        problems.push_back(file + ": expected a JSON object at the top level, got " +
                           describe_type(*document));
      }
    }
  }
  apply_environment(config, environment, problems);
  if (cli.address) {
    apply_setting(config, *find_setting("listen.address"), json(*cli.address), "--address",
                  problems);
  }
  if (cli.port) config.listen.port = *cli.port;
  check_combinations(config, problems);
  if (!problems.empty()) throw ConfigError(std::move(problems));
  return config;
}

namespace {

// Variables of the project's own tools that share the prefix and reach parleyd's
// environment on purpose: the container's entrypoint and healthcheck
// (docs/operations.md) and scripts/test. Warning about them would teach
// operators to ignore the warning that catches a typo.
bool is_tool_variable(std::string_view name) {
  return name == "PARLEY_CONFIG_FILE" || name == "PARLEY_HEALTHCHECK_PORT" ||
         name == "PARLEY_SKIP_DOCKER";
}

}  // namespace

// `config` has nothing to warn about today (cluster.redis did while the cluster
// was not there); kept for the settings that will.
std::vector<std::string> config_warnings([[maybe_unused]] const Config& config,
                                         const std::map<std::string, std::string>& environment) {
  std::vector<std::string> warnings;
  for (const auto& [name, text] : environment) {
    if (!starts_with(name, kEnvironmentPrefix) || find_setting_by_environment_name(name) ||
        is_tool_variable(name))
      continue;
    warnings.push_back(name + ": unknown variable, ignored (there is no key " + guessed_key(name) +
                       ")");
  }
  return warnings;
}

std::map<std::string, std::string> parley_environment() {
  std::map<std::string, std::string> variables;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view text(*entry);
    if (!starts_with(text, kEnvironmentPrefix)) continue;
    const auto equals = text.find('=');
    if (equals == std::string_view::npos) continue;
    variables.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
  }
  return variables;
}

}  // namespace parley
