// The value of `cluster.redis`: where the cluster's Redis is and how to log in.
// Parsed once when the configuration is built (so `--check-config` refuses a bad
// URL), and again by the cluster's Redis client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

struct RedisUrl {
  std::string host;           // a name, an IPv4 address, or an IPv6 address without brackets
  std::uint16_t port = 6379;  // Redis's default port when the URL names none
  std::string user;           // Redis 6+ ACL user; empty: AUTH with the password alone
  std::string password;       // empty: no AUTH
  std::uint32_t db = 0;       // SELECT db after connecting (0: none needed)

  bool operator==(const RedisUrl&) const = default;
};

// Parses `redis://[[user]:password@]host[:port][/db]`. On failure returns nothing
// and sets `error` to a sentence for people that never repeats the URL (it may
// carry a password). `rediss://` is refused: Debian 12's hiredis (0.14) has no TLS.
std::optional<RedisUrl> parse_redis_url(std::string_view text, std::string& error);

// The URL without its password, for logs: "redis://10.0.0.5:6379/2".
std::string describe(const RedisUrl& url);

}  // namespace parley
