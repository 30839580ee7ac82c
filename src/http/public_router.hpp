// The public listener's routes (interface-v1 "Public listener"): `/ws` (native
// protocol), `/socket.io/` (the socket.io dialect, when installed), `/healthz`,
// `/readyz`, and static files.
#pragma once

#include <functional>
#include <variant>

#include "net/http_session.hpp"

namespace parley {

// The transport limits a session starts with.
WsLimits ws_limits_from(const Config& config);

class PublicRouter final : public HttpRouter {
 public:
  explicit PublicRouter(ServerContext& context);

  // The socket.io endpoint, served under /socket.io/.
  void set_socketio(HttpRouter* socketio) { socketio_ = socketio; }
  // Extra readiness condition (the cluster's Redis link); ready when unset.
  void set_ready_check(std::function<bool()> ready) { ready_ = std::move(ready); }

  bool route(TcpStream& stream, HttpRequest&& request, const RequestContext& context,
             Respond respond) override;
  bool route(TlsStream& stream, HttpRequest&& request, const RequestContext& context,
             Respond respond) override;

  // Checks a WebSocket handshake (RFC 6455 strictness, draining, origin,
  // capacity): the refusal to send, or the connection's seat. Shared with the
  // socket.io endpoint.
  std::variant<boost::beast::http::message_generator, ConnectionLimiter::Slot> admit_websocket(
      const HttpRequest& request, const RequestContext& context, const Config& config);

 private:
  template <class Stream>
  bool route_any(Stream& stream, HttpRequest&& request, const RequestContext& context,
                 Respond respond);
  boost::beast::http::message_generator handle_plain(const HttpRequest& request);

  ServerContext& context_;
  HttpRouter* socketio_ = nullptr;
  std::function<bool()> ready_;
};

}  // namespace parley
