// The native dialect's route (`/ws`): admits a WebSocket handshake and starts a
// NativeSession on it. Registered with the public router by the server.
#pragma once

#include "http/public_router.hpp"
#include "net/http_session.hpp"
#include "ops/server_context.hpp"

namespace parley {

class NativeEndpoint final : public HttpRouter {
 public:
  NativeEndpoint(ServerContext& context, PublicRouter& admission)
      : context_(context), admission_(admission) {}

  bool route(TcpStream& stream, HttpRequest&& request, const RequestContext& context,
             Respond respond) override;
  bool route(TlsStream& stream, HttpRequest&& request, const RequestContext& context,
             Respond respond) override;

 private:
  template <class Stream>
  bool route_any(Stream& stream, HttpRequest&& request, const RequestContext& context,
                 Respond respond);

  ServerContext& context_;
  PublicRouter& admission_;
};

}  // namespace parley
