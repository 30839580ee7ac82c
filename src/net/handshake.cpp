#include "net/handshake.hpp"

#include <string_view>

#include "base/ids.hpp"

namespace parley {
namespace http = boost::beast::http;

namespace {

bool is_optional_whitespace(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_optional_whitespace(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_optional_whitespace(text.back())) text.remove_suffix(1);
  return text;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// True when any of the (possibly repeated) headers `name` holds `token` in its
// comma-separated list, compared case-insensitively. Repeated headers count as
// one list joined by commas (RFC 9110 5.3).
bool header_lists_token(const http::request_header<>& req, http::field name,
                        std::string_view token) {
  const auto [first, last] = req.equal_range(name);
  for (auto it = first; it != last; ++it) {
    std::string_view rest = it->value();
    while (true) {
      const auto comma = rest.find(',');
      if (equals_ignoring_case(trim(rest.substr(0, comma)), token)) return true;
      if (comma == std::string_view::npos) break;
      rest.remove_prefix(comma + 1);
    }
  }
  return false;
}

// The value of a header that must appear exactly once, or nothing.
std::optional<std::string_view> single_value(const http::request_header<>& req, http::field name) {
  if (req.count(name) != 1) return std::nullopt;
  return trim(req[name]);
}

HandshakeRejection bad_request(std::string reason) {
  return {400, std::move(reason), false};
}

HandshakeRejection upgrade_required(std::string reason) {
  return {426, std::move(reason), true};
}

}  // namespace

std::optional<HandshakeRejection> check_websocket_upgrade(const http::request_header<>& req) {
  if (req.count(http::field::upgrade) == 0) {
    return upgrade_required("this endpoint needs a WebSocket upgrade");
  }
  if (req.method() != http::verb::get) return bad_request("a WebSocket handshake must be a GET");
  if (req.version() < 11) return bad_request("a WebSocket handshake needs HTTP/1.1");
  if (!header_lists_token(req, http::field::upgrade, "websocket")) {
    return bad_request("Upgrade must name websocket");
  }
  if (!header_lists_token(req, http::field::connection, "upgrade")) {
    return bad_request("Connection must include Upgrade");
  }
  if (single_value(req, http::field::sec_websocket_version) != "13") {
    return upgrade_required("Sec-WebSocket-Version must be 13");
  }
  const auto key = single_value(req, http::field::sec_websocket_key);
  if (!key) return bad_request("exactly one Sec-WebSocket-Key is needed");
  const auto nonce = base64_decode(*key);
  if (!nonce || nonce->size() != 16) {
    return bad_request("Sec-WebSocket-Key must be base64 of 16 bytes");
  }
  return std::nullopt;
}

bool is_websocket_upgrade_attempt(const http::request_header<>& req) {
  return header_lists_token(req, http::field::upgrade, "websocket");
}

}  // namespace parley
