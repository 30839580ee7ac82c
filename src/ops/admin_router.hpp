// The admin listener's routes (interface-v1 "Admin listener"): Prometheus
// metrics without auth, and the room/peer API behind a bearer token.
#pragma once

#include <chrono>

#include "net/http_session.hpp"
#include "ops/server_context.hpp"

namespace parley {

// How long an admin request waits for the room directory's answer before it
// answers 503. The in-process directory answers at once; a Redis directory
// whose server stops answering without closing the connection (a hung or
// partitioned Redis) would otherwise hold the request, and the event-loop
// thread it runs on, for as long as the connection stays up.
inline constexpr std::chrono::milliseconds kAdminDirectoryTimeout{5000};

class AdminRouter final : public HttpRouter {
 public:
  explicit AdminRouter(ServerContext& context,
                       std::chrono::milliseconds directory_timeout = kAdminDirectoryTimeout)
      : context_(context), directory_timeout_(directory_timeout) {}

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

  // The answer to a directory query that did not come in time: 503.
  boost::beast::http::message_generator directory_timed_out(const HttpRequest& request) const;

  ServerContext& context_;
  std::chrono::milliseconds directory_timeout_;
};

}  // namespace parley
