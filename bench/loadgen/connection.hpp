// One client connection of the load generator, whatever carries it: a
// WebSocket (ws:// or wss://, Boost.Beast) or a length-prefixed TCP stream
// (the bare epoll relay's framing). Scenarios and dialects see only text
// messages in and out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace boost::asio {
class io_context;
}

namespace loadgen {

enum class Transport { kWebSocket, kFramedTcp };

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 0;
  std::string path = "/ws";  // WebSocket request target
  Transport transport = Transport::kWebSocket;
  bool tls = false;
};

// Receives a connection's events on the thread of its io_context.
class ConnectionHandler {
 public:
  virtual void on_open() = 0;
  // `text` is valid only during the call.
  virtual void on_message(std::string_view text) = 0;
  // Called once, when the connection is over; `clean` when it ended by our
  // own close() (close handshake or orderly shutdown), `why` says what happened.
  virtual void on_close(bool clean, const std::string& why) = 0;

 protected:
  ~ConnectionHandler() = default;
};

class Connection {
 public:
  virtual ~Connection() = default;
  // Connects (from `bind_address` when not empty: spreads 19k sockets over
  // several source addresses), then handshakes; on_open follows.
  virtual void start(const std::string& bind_address) = 0;
  // Queues one message; messages go out in the order they were queued.
  virtual void send(std::string message) = 0;
  // Sends what is queued, then ends the connection cleanly.
  virtual void close() = 0;
  // Messages queued but not yet handed to the kernel.
  virtual std::size_t queued() const = 0;
};

// TLS settings shared by every wss:// connection of the process.
struct TlsClientContext;
std::shared_ptr<TlsClientContext> make_tls_client_context();

std::shared_ptr<Connection> make_connection(boost::asio::io_context& io, const Endpoint& endpoint,
                                            TlsClientContext* tls, ConnectionHandler& handler);

}  // namespace loadgen
