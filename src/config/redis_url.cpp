#include "config/redis_url.hpp"

#include <charconv>
#include <limits>

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace parley {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string& error) {
  constexpr std::string_view kShape = "redis://[:password@]host[:port][/db]";
  auto parsed = boost::urls::parse_uri(text);
  if (!parsed) {
    error = "not a valid URL; expected " + std::string(kShape);
    return std::nullopt;
  }
  const boost::urls::url_view url = *parsed;
  if (iequals(url.scheme(), "rediss")) {
    error =
        "rediss:// (Redis over TLS) is not supported: Debian 12's hiredis 0.14 has no TLS; "
        "use redis:// on a private network, or a TLS tunnel to Redis";
    return std::nullopt;
  }
  if (!iequals(url.scheme(), "redis")) {
    error = "expected a URL starting with redis:// (" + std::string(kShape) + ")";
    return std::nullopt;
  }
  RedisUrl result;
  switch (url.host_type()) {
    case boost::urls::host_type::ipv6:
      result.host = url.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::name:
      result.host = url.host_address();
      break;
    default:
      break;
  }
  if (result.host.empty()) {
    error = "the URL names no host (" + std::string(kShape) + ")";
    return std::nullopt;
  }
  if (url.has_port()) {
    const auto port = url.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 ||
        value > 65535) {
      error = "the port must be a number from 1 to 65535";
      return std::nullopt;
    }
    result.port = static_cast<std::uint16_t>(value);
  }
  if (url.has_userinfo()) {
    result.user = url.user();
    result.password = url.password();
    if (result.password.empty()) {
      error =
          "the URL has a user but no password (write redis://:password@host or "
          "redis://user:password@host)";
      return std::nullopt;
    }
  }
  const std::string path = url.path();
  if (!path.empty() && path != "/") {
    const std::string_view digits = std::string_view(path).substr(1);
    std::uint32_t db = 0;
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), db);
    if (path[0] != '/' || ec != std::errc() || end != digits.data() + digits.size() ||
        db > static_cast<std::uint32_t>(std::numeric_limits<std::int32_t>::max())) {
      error = "the path must be a database number (/0, /1, ...) or nothing";
      return std::nullopt;
    }
    result.db = db;
  }
  if (url.has_query() || url.has_fragment()) {
    error = "the URL may have no query (?...) or fragment (#...)";
    return std::nullopt;
  }
  return result;
}

std::string describe(const RedisUrl& url) {
  std::string text = "redis://";
  if (!url.password.empty()) text += url.user + ":***@";
  if (url.host.find(':') != std::string::npos)
    text += "[" + url.host + "]";
  else
    text += url.host;
  text += ":" + std::to_string(url.port);
  if (url.db != 0) text += "/" + std::to_string(url.db);
  return text;
}

}  // namespace parley
