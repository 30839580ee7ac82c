// An http:// or https:// URL taken apart for a client: the configuration
// checks webhook URLs with it, and the webhook client connects with it.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley {

struct HttpUrl {
  bool https = false;
  std::string host;  // a name, or an IP address without brackets
  bool host_is_ip = false;
  std::string port;         // "80" / "443" when the URL names none
  std::string host_header;  // what the Host header carries (host[:port] as written)
  std::string target;       // path and query, "/" when the URL has no path

  // scheme://host[:port]/path without the query, which may hold a token: for logs.
  std::string loggable() const;
};

// The URL, or nothing with `why` set: not absolute, another scheme, no host,
// credentials in it (they would end up in logs), or a fragment.
std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* why = nullptr);

}  // namespace parley
