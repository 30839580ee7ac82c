// The public listener's routes (interface-v1 "Public listener"): each dialect's
// route as registered (`/ws` native, `/socket.io/` socket.io), `/healthz`,
// `/readyz`, and static files.
#pragma once

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "net/http_session.hpp"

namespace parley {

// The transport limits a session starts with.
WsLimits ws_limits_from(const Config& config);

class PublicRouter final : public HttpRouter {
 public:
  explicit PublicRouter(NetContext& context);

  // Registers a dialect: requests for `path`, and with `subtree` for anything
  // under `path/` too, go to `endpoint`. The server registers each dialect
  // once, before the listeners start; the first match wins.
  void add_dialect(std::string path, bool subtree, HttpRouter& endpoint);
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

  struct DialectRoute {
    std::string path;
    bool subtree;
    HttpRouter* endpoint;
  };

  NetContext& context_;
  std::vector<DialectRoute> dialects_;
  std::function<bool()> ready_;
};

}  // namespace parley
