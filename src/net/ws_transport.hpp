// The WebSocket side of a session, independent of what is spoken over it: the
// handshake, the read loop, a bounded send queue, server pings and the one path
// by which a connection ends. The dialect (native or socket.io) is a
// WsHandler on top. Everything here runs on the connection's strand.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "base/shared_text.hpp"
#include "net/net_context.hpp"
#include "net/tls_stream.hpp"

namespace parley {

using TcpStream = boost::beast::tcp_stream;
// TLS over the HTTP session's stream (tls_stream.hpp: no buffers while idle).
using TlsStream = LeanTlsStream<boost::beast::tcp_stream>;
using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

class WsTransport;

// How a connection ended, as the resume rules of protocol-v1 see it.
enum class CloseKind {
  ended,  // a close frame from the client, or a close code of the server's own
  lost,   // no close frame: FIN/reset, ping timeout, write error, 1012
};

class WsHandler {
 public:
  virtual ~WsHandler() = default;
  // The handshake succeeded; `transport` stays valid until on_closed returns.
  virtual void on_open(WsTransport& transport) = 0;
  // One complete text message.
  virtual void on_message(std::string_view text) = 0;
  // Exactly once, after on_open; nothing is sent after it.
  virtual void on_closed(CloseKind kind) = 0;
};

struct WsLimits {
  std::size_t max_message_bytes = 65536;
  std::size_t max_send_queue_bytes = 1048576;
  double handshake_timeout = 10;
  double ping_interval = 20;
  double ping_timeout = 20;
  // False for a socket.io upgrade: the session was counted in
  // parley_connections_total when it opened over long-polling.
  bool counts_as_new_connection = true;
};

class WsTransport {
 public:
  virtual ~WsTransport() = default;
  // Queues a text message. `relay` marks a relayed message (kept for a resume if
  // the connection is lost before it is written). Over the send-queue limit the
  // connection closes with 1013.
  virtual void send(SharedText text, bool relay) = 0;
  // Between cork() and uncork(), sends only queue: the messages of one batch
  // then leave together (several in one system call on ws://).
  virtual void cork() = 0;
  virtual void uncork() = 0;
  // Closes with a close frame of the server's own: the session ends at once.
  virtual void close(unsigned short code, std::string_view reason) = 0;
  // Closes the TCP connection with no close handshake: the session is lost.
  virtual void drop() = 0;
  // Relayed messages queued but not yet written, oldest first; the queue is
  // emptied. For a lost connection's resume buffer.
  virtual std::vector<SharedText> take_unsent() = 0;
  // Relayed messages queued and not yet handed to the socket, oldest first; the
  // queue is emptied. For a connection taken over by a resume, which then closes
  // with a close frame: that frame flushes what was handed to the socket before.
  virtual std::vector<SharedText> take_queued() = 0;
  virtual boost::asio::any_io_executor executor() = 0;
  virtual const std::string& remote_address() const = 0;
};

// Starts the WebSocket handshake on an upgraded HTTP connection. The
// transport takes `slot`, the connection's seat in the limiter, into its
// ConnectionLease (connection_lease.hpp) with the rest of its bookkeeping.
void start_websocket(TcpStream&& stream, HttpRequest&& request, ConnectionLimiter::Slot slot,
                     std::shared_ptr<WsHandler> handler, const WsLimits& limits,
                     NetContext& context, std::string remote_address);
void start_websocket(TlsStream&& stream, HttpRequest&& request, ConnectionLimiter::Slot slot,
                     std::shared_ptr<WsHandler> handler, const WsLimits& limits,
                     NetContext& context, std::string remote_address);

}  // namespace parley
