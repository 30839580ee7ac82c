// The admin listener's routes (interface-v1 "Admin listener"): Prometheus
// metrics without auth, and the room/peer API behind a bearer token.
#pragma once

#include "net/http_session.hpp"
#include "ops/server_context.hpp"

namespace parley {

class AdminRouter final : public HttpRouter {
 public:
  explicit AdminRouter(ServerContext& context) : context_(context) {}

  bool route(TcpStream&, HttpRequest&& request, const RequestContext&, Respond respond) override {
    respond(handle(request));
    return false;
  }
  bool route(TlsStream&, HttpRequest&& request, const RequestContext&, Respond respond) override {
    respond(handle(request));
    return false;
  }

  boost::beast::http::message_generator handle(const HttpRequest& request);

 private:
  // POST /admin/rooms/{room}/messages (integration-v1.md "Server messages").
  boost::beast::http::message_generator send_server_message(const HttpRequest& request,
                                                            const std::string& room);

  ServerContext& context_;
};

}  // namespace parley
