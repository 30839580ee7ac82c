#include "net/http_session.hpp"

#include <chrono>
#include <optional>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "base/clock.hpp"
#include "net/http_responses.hpp"

namespace parley {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// A request head this large is refused (431) as soon as it is read this far.
constexpr std::size_t kHeaderLimit = 8 * 1024;
// socket.io long-polling posts carry batched packets; nothing else has a body.
constexpr std::uint64_t kBodyLimit = 1024 * 1024;

http::message_generator parse_error_response(const beast::error_code& ec) {
  HttpRequest request;
  request.version(11);
  request.keep_alive(false);
  if (ec == http::error::header_limit)
    return text_response(request, http::status::request_header_fields_too_large,
                         "request header too large\n");
  if (ec == http::error::body_limit)
    return text_response(request, http::status::payload_too_large, "request body too large\n");
  return text_response(request, http::status::bad_request, "malformed request\n");
}

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  template <class... Args>
  HttpSession(HttpRouter& router, NetContext& context, std::string remote_address,
              std::shared_ptr<net::ssl::context> tls, Args&&... stream_args)
      : tls_(std::move(tls)),
        stream_(std::forward<Args>(stream_args)...),
        router_(router),
        context_(context),
        request_context_{std::move(remote_address), !std::is_same_v<Stream, TcpStream>} {}

  void start() {
    // Every step before the first complete request shares one deadline: a
    // client that dribbles bytes cannot hold the connection longer.
    beast::get_lowest_layer(stream_).expires_after(
        seconds(context_.config()->limits.handshake_timeout));
    if constexpr (std::is_same_v<Stream, TlsStream>) {
      stream_.async_handshake(
          beast::bind_front_handler(&HttpSession::on_tls_handshake, this->shared_from_this()));
    } else {
      read_request();
    }
  }

 private:
  void on_tls_handshake(beast::error_code ec) {
    if (ec) {
      spdlog::debug("TLS handshake with {} failed: {}", request_context_.remote_address,
                    ec.message());
      return;
    }
    read_request();
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(kHeaderLimit);
    parser_->body_limit(kBodyLimit);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&HttpSession::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::connection_reset ||
        ec == net::error::eof || ec == net::ssl::error::stream_truncated) {
      return close();
    }
    if (ec) {
      // A malformed or oversized request still gets an answer, then the close.
      return write(parse_error_response(ec));
    }
    // The deadline covered reading the request; the router decides from here.
    beast::get_lowest_layer(stream_).expires_never();
    auto self = this->shared_from_this();
    Respond respond = [self](http::message_generator message) {
      // Routers may answer from another thread (long-polling): back to ours.
      auto shared = std::make_shared<http::message_generator>(std::move(message));
      net::post(self->stream_.get_executor(), [self, shared] { self->write(std::move(*shared)); });
    };
    router_.route(stream_, parser_->release(), request_context_, std::move(respond));
  }

  void write(http::message_generator message) {
    const bool keep_alive = message.keep_alive();
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    beast::async_write(
        stream_, std::move(message),
        [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
          if (ec || !keep_alive) return self->close();
          // The next request has the same deadline as the first.
          beast::get_lowest_layer(self->stream_)
              .expires_after(seconds(self->context_.config()->limits.handshake_timeout));
          self->read_request();
        });
  }

  void close() {
    beast::error_code ignored;
    auto& socket = beast::get_lowest_layer(stream_).socket();
    if (!socket.is_open()) return;
    socket.shutdown(net::ip::tcp::socket::shutdown_send, ignored);
    socket.close(ignored);
  }

  std::shared_ptr<net::ssl::context> tls_;  // kept alive for the stream (a reload may swap it)
  Stream stream_;
  HttpRouter& router_;
  NetContext& context_;
  RequestContext request_context_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
};

}  // namespace

void start_http_session(net::ip::tcp::socket&& socket, HttpRouter& router, NetContext& context,
                        std::shared_ptr<net::ssl::context> tls) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return;  // already gone
  std::string address = endpoint.address().to_string();
  if (tls) {
    auto& tls_context = *tls;
    std::make_shared<HttpSession<TlsStream>>(router, context, std::move(address), std::move(tls),
                                             TcpStream(std::move(socket)), tls_context)
        ->start();
  } else {
    std::make_shared<HttpSession<TcpStream>>(router, context, std::move(address), nullptr,
                                             std::move(socket))
        ->start();
  }
}

}  // namespace parley
