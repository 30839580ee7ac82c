// The admin listener's routes (interface-v1 "Admin listener"): Prometheus
// metrics without auth, and the room/peer API behind a bearer token.
#pragma once

#include "net/http_session.hpp"

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
  ServerContext& context_;
};

}  // namespace parley
