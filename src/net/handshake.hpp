// The strict check of a WebSocket opening handshake (RFC 6455 4.2.1) that runs
// before Beast accepts it: Beast itself only checks that a key is present.
#pragma once

#include <optional>
#include <string>

#include <boost/beast/http.hpp>

namespace parley {

// Why a handshake is refused: the HTTP status to answer with, a short reason for
// the body and the log, and whether to add `Sec-WebSocket-Version: 13`.
struct HandshakeRejection {
  unsigned status;
  std::string reason;
  bool send_version_header;
};

// Nothing when `req` is a valid WebSocket upgrade. Otherwise:
// - no Upgrade header at all (a plain HTTP request): 426 + version header;
// - not GET, HTTP older than 1.1, Upgrade without the token `websocket`,
//   Connection without the token `upgrade`: 400;
// - Sec-WebSocket-Version missing, repeated or not exactly 13: 426 + version header;
// - Sec-WebSocket-Key missing, repeated or not base64 of exactly 16 bytes: 400.
std::optional<HandshakeRejection> check_websocket_upgrade(
    const boost::beast::http::request_header<>& req);

// True when the request has an Upgrade header naming `websocket`, i.e. the client
// means to open a WebSocket (valid or not).
bool is_websocket_upgrade_attempt(const boost::beast::http::request_header<>& req);

}  // namespace parley
