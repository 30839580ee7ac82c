// An HTTP/1.1 connection: reads requests (with a deadline, so a connection that
// never finishes its request is closed), hands each to a router, writes the
// answer, and lets the router take the connection over for a WebSocket upgrade.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include <boost/beast/http/message_generator.hpp>

#include "net/net_context.hpp"
#include "net/ws_transport.hpp"

namespace parley {

struct RequestContext {
  std::string remote_address;
  bool tls = false;
};

// Called exactly once per request with the answer; from any thread.
using Respond = std::function<void(boost::beast::http::message_generator)>;

class HttpRouter {
 public:
  virtual ~HttpRouter() = default;
  // Either takes the connection (moves from `stream`, returns true: a WebSocket
  // upgrade) or calls `respond` exactly once (returns false).
  virtual bool route(TcpStream& stream, HttpRequest&& request, const RequestContext& context,
                     Respond respond) = 0;
  virtual bool route(TlsStream& stream, HttpRequest&& request, const RequestContext& context,
                     Respond respond) = 0;
};

// Serves HTTP on an accepted socket; with `tls` set, after a TLS handshake.
void start_http_session(boost::asio::ip::tcp::socket&& socket, HttpRouter& router,
                        NetContext& context, std::shared_ptr<boost::asio::ssl::context> tls);

}  // namespace parley
