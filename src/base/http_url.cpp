#include "base/http_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace parley {

std::string HttpUrl::loggable() const {
  return (https ? "https://" : "http://") + host_header + target.substr(0, target.find('?'));
}

std::optional<HttpUrl> parse_http_url(std::string_view text, std::string* why) {
  const auto fail = [why](const char* reason) -> std::optional<HttpUrl> {
    if (why != nullptr) *why = reason;
    return std::nullopt;
  };
  const auto parsed = boost::urls::parse_absolute_uri(text);
  if (!parsed) return fail("not an absolute URL");
  const boost::urls::url_view url = *parsed;
  HttpUrl result;
  if (url.scheme_id() == boost::urls::scheme::https) {
    result.https = true;
  } else if (url.scheme_id() != boost::urls::scheme::http) {
    return fail("the scheme is not http or https");
  }
  switch (url.host_type()) {
    case boost::urls::host_type::name:
      result.host = url.host_name();
      break;
    case boost::urls::host_type::ipv4:
    case boost::urls::host_type::ipv6:
      result.host = url.host_address();
      result.host_is_ip = true;
      break;
    default:
      return fail("expected a host name or an IP address");
  }
  if (result.host.empty()) return fail("the URL has no host");
  if (url.has_userinfo()) {
    return fail("credentials in the URL are not supported (put a token in the path or query)");
  }
  if (url.has_fragment()) return fail("a fragment (#...) is never sent; remove it");
  if (url.has_port()) {
    if (url.port().empty() || url.port_number() == 0)
      return fail("expected a port from 1 to 65535");
    result.port = std::to_string(url.port_number());
  } else {
    result.port = result.https ? "443" : "80";
  }
  result.host_header = url.encoded_host_and_port();
  result.target = url.encoded_target();
  if (result.target.empty() || result.target.front() != '/') result.target.insert(0, "/");
  return result;
}

}  // namespace parley
