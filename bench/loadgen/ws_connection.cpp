// WebSocket client connections (ws:// and wss://) on Boost.Beast.
#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>

#include <boost/asio/write.hpp>

#include "client_frames.hpp"
#include "connection_factories.hpp"
#include "socket_setup.hpp"

namespace loadgen {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct TlsClientContext {
  asio::ssl::context context{asio::ssl::context::tls_client};
};

std::shared_ptr<TlsClientContext> make_tls_client_context() {
  auto tls = std::make_shared<TlsClientContext>();
  // The servers measured use a throw-away self-signed certificate on
  // loopback: there is nothing to verify.
  tls->context.set_verify_mode(asio::ssl::verify_none);
  // 19k idle TLS clients would otherwise hold ~34 KiB of buffers each.
  SSL_CTX_set_mode(tls->context.native_handle(), SSL_MODE_RELEASE_BUFFERS);
  return tls;
}

namespace {

using PlainStream = websocket::stream<tcp::socket>;
using TlsStream = websocket::stream<asio::ssl::stream<tcp::socket>>;

template <class WebSocket>
class WebSocketConnection final
    : public Connection,
      public std::enable_shared_from_this<WebSocketConnection<WebSocket>> {
 public:
  template <class... StreamArgs>
  WebSocketConnection(const Endpoint& endpoint, ConnectionHandler& handler, StreamArgs&&... args)
      : ws_(std::forward<StreamArgs>(args)...), endpoint_(endpoint), handler_(handler) {}

  void start(const std::string& bind_address) override {
    auto& socket = beast::get_lowest_layer(ws_);
    if (auto ec = open_client_socket(socket, bind_address)) return finish(ec, "open/bind");
    boost::system::error_code ec;
    const tcp::endpoint target(asio::ip::make_address(endpoint_.host, ec), endpoint_.port);
    if (ec) return finish(ec, "address");
    socket.async_connect(target, [self = this->shared_from_this()](boost::system::error_code ec) {
      self->on_connect(ec);
    });
  }

  void send(std::string message) override {
    if (done_) return;
    queue_.push_back(std::move(message));
    if (open_ && !writing_) write_next();
  }

  void close() override {
    close_requested_ = true;
    if (open_ && !writing_ && !done_) close_now();
  }

  std::size_t queued() const override { return queue_.size(); }

 private:
  void on_connect(boost::system::error_code ec) {
    if (ec) return finish(ec, "connect");
    // Without TCP_NODELAY a small message can wait for the previous one's ACK.
    beast::get_lowest_layer(ws_).set_option(tcp::no_delay(true), ec);
    if constexpr (std::is_same_v<WebSocket, TlsStream>) {
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::client,
          [self = this->shared_from_this()](boost::system::error_code ec) {
            if (ec) return self->finish(ec, "tls handshake");
            self->websocket_handshake();
          });
    } else {
      websocket_handshake();
    }
  }

  void websocket_handshake() {
    // Messages are framed by write_next; Beast only reads (any size).
    ws_.read_message_max(64 * 1024 * 1024);
    const std::string host = endpoint_.host + ":" + std::to_string(endpoint_.port);
    ws_.async_handshake(host, endpoint_.path,
                        [self = this->shared_from_this()](boost::system::error_code ec) {
                          if (ec) return self->finish(ec, "websocket handshake");
                          self->on_open();
                        });
  }

  void on_open() {
    open_ = true;
    handler_.on_open();
    read_next();
    if (close_requested_ && !writing_) return close_now();
    if (!queue_.empty() && !writing_) write_next();
  }

  void read_next() {
    ws_.async_read(buffer_,
                   [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                     if (ec) return self->finish(ec, "read");
                     const auto data = self->buffer_.cdata();
                     self->handler_.on_message(
                         std::string_view(static_cast<const char*>(data.data()), data.size()));
                     self->buffer_.consume(self->buffer_.size());
                     if (!self->done_) self->read_next();
                   });
  }

  // Every queued message goes out in one write, framed here rather than by
  // Beast (which writes one message per call). Beast still reads, answers the
  // close handshake, and would answer a ping: none of the servers measured
  // pings while a benchmark runs (parley's bench settings make its interval
  // longer than any run), so its pong cannot interleave with these writes.
  void write_next() {
    writing_ = true;
    frames_.clear();
    for (const auto& message : queue_) append_text_frame(frames_, message, mask_seed_);
    const std::size_t batch = queue_.size();
    asio::async_write(
        ws_.next_layer(), asio::buffer(frames_),
        [self = this->shared_from_this(), batch](boost::system::error_code ec, std::size_t) {
          self->writing_ = false;
          if (ec) return self->finish(ec, "write");
          self->queue_.erase(self->queue_.begin(),
                             self->queue_.begin() + static_cast<std::ptrdiff_t>(batch));
          if (!self->queue_.empty()) return self->write_next();
          if (self->close_requested_) self->close_now();
        });
  }

  void close_now() {
    if (closing_) return;
    closing_ = true;
    ws_.async_close(websocket::close_code::normal,
                    [self = this->shared_from_this()](boost::system::error_code ec) {
                      // The pending read completes with `closed` when the
                      // server answers; only a failure is reported here.
                      if (ec) self->finish(ec, "close");
                    });
  }

  void finish(boost::system::error_code ec, const char* stage) {
    if (done_) return;
    done_ = true;
    // Once our close frame is out, Beast ends the pending read with
    // `closed` or (when async_close itself reads the answer) `operation_aborted`.
    const bool clean = closing_ && (ec == websocket::error::closed || ec == asio::error::eof ||
                                    ec == asio::error::operation_aborted ||
                                    ec == asio::ssl::error::stream_truncated);
    std::string why = std::string(stage) + ": " + ec.message();
    if (ec == websocket::error::closed) {
      why += " (code " + std::to_string(ws_.reason().code) + ")";
    }
    handler_.on_close(clean, why);
  }

  WebSocket ws_;
  Endpoint endpoint_;
  ConnectionHandler& handler_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  std::string frames_;  // the frames of one write
  std::uint64_t mask_seed_ = reinterpret_cast<std::uintptr_t>(this) | 1;
  bool open_ = false;
  bool writing_ = false;
  bool close_requested_ = false;
  bool closing_ = false;
  bool done_ = false;
};

}  // namespace

std::shared_ptr<Connection> make_websocket_connection(asio::io_context& io,
                                                      const Endpoint& endpoint,
                                                      TlsClientContext* tls,
                                                      ConnectionHandler& handler) {
  if (endpoint.tls) {
    return std::make_shared<WebSocketConnection<TlsStream>>(endpoint, handler, io, tls->context);
  }
  return std::make_shared<WebSocketConnection<PlainStream>>(endpoint, handler, io);
}

}  // namespace loadgen
