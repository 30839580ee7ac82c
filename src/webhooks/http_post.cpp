#include "webhooks/http_post.hpp"

#include <exception>
#include <optional>

#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace parley {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::string_view kUserAgent = "parley-webhooks/" PARLEY_VERSION;

// One attempt over a plain or a TLS stream (`Stream` is beast::tcp_stream or
// beast::ssl_stream<beast::tcp_stream>).
template <typename Stream>
class Attempt : public std::enable_shared_from_this<Attempt<Stream>> {
 public:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  Attempt(net::io_context& ioc, std::shared_ptr<net::ssl::context> tls, HttpPostRequest request,
          std::function<void(HttpPostResult)> done)
      : strand_(net::make_strand(ioc)),
        resolver_(strand_),
        resolve_timer_(strand_),
        tls_(std::move(tls)),
        stream_(make_stream()),
        request_(std::move(request)),
        done_(std::move(done)) {}

  void start() {
    deadline_ = std::chrono::steady_clock::now() + request_.timeout;
    net::dispatch(strand_, [self = this->shared_from_this()] { self->resolve(); });
  }

 private:
  Stream make_stream() {
    if constexpr (kTls) {
      return Stream(strand_, *tls_);
    } else {
      return Stream(strand_);
    }
  }

  tcp::socket& socket() { return beast::get_lowest_layer(stream_).socket(); }

  void resolve() {
    // The resolver has no timeout of its own: a timer cancels it.
    resolve_timer_.expires_at(deadline_);
    resolve_timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec) {
        self->timed_out_ = true;
        self->resolver_.cancel();
      }
    });
    resolver_.async_resolve(
        request_.url.host, request_.url.port,
        [self = this->shared_from_this()](beast::error_code ec, tcp::resolver::results_type found) {
          self->resolve_timer_.cancel();
          if (self->timed_out_) return self->fail("timed out resolving the host");
          if (ec) return self->fail("cannot resolve the host: " + ec.message());
          self->connect(found);
        });
  }

  void connect(const tcp::resolver::results_type& endpoints) {
    beast::get_lowest_layer(stream_).expires_at(deadline_);
    beast::get_lowest_layer(stream_).async_connect(
        endpoints, [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
          if (ec) return self->fail("cannot connect: " + ec.message());
          if constexpr (kTls) {
            self->handshake();
          } else {
            self->write();
          }
        });
  }

  void handshake() {
    if constexpr (kTls) {
      SSL* ssl = stream_.native_handle();
      const std::string& host = request_.url.host;
      if (request_.url.host_is_ip) {
        // An address is checked against the certificate's IP addresses
        // (SSL_set1_host would compare it with DNS names only); SNI carries
        // names only (RFC 6066), so none is sent.
        if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host.c_str()) != 1)
          return fail("cannot set the expected IP address");
      } else {
        if (SSL_set_tlsext_host_name(ssl, host.c_str()) != 1)
          return fail("cannot set the TLS server name");
        if (SSL_set1_host(ssl, host.c_str()) != 1) return fail("cannot set the expected host");
      }
      beast::error_code ec;
      stream_.set_verify_mode(net::ssl::verify_peer, ec);
      if (ec) return fail("cannot require verification: " + ec.message());
      stream_.async_handshake(net::ssl::stream_base::client,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->fail("TLS handshake: " + ec.message());
                                self->write();
                              });
    }
  }

  void write() {
    message_.method(http::verb::post);
    message_.target(request_.url.target);
    message_.version(11);
    message_.set(http::field::host, request_.url.host_header);
    message_.set(http::field::user_agent, kUserAgent);
    for (const auto& [name, value] : request_.headers) message_.set(name, value);
    message_.keep_alive(false);
    message_.body() = std::move(request_.body);
    message_.prepare_payload();
    http::async_write(stream_, message_,
                      [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                        if (ec) return self->fail("cannot send: " + ec.message());
                        self->read();
                      });
  }

  void read() {
    http::async_read_header(stream_, buffer_, parser_,
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->fail("no answer: " + ec.message());
                              HttpPostResult result;
                              result.status = self->parser_.get().result_int();
                              self->finish(std::move(result));
                            });
  }

  void fail(std::string what) { finish({0, std::move(what)}); }

  void finish(HttpPostResult result) {
    // The connection is not reused (Connection: close), so it is closed at
    // once, without a TLS close_notify: the answer is in.
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().close(ignored);
    if (auto done = std::exchange(done_, nullptr)) done(std::move(result));
  }

  net::strand<net::io_context::executor_type> strand_;
  tcp::resolver resolver_;
  net::steady_timer resolve_timer_;
  std::shared_ptr<net::ssl::context> tls_;
  Stream stream_;
  HttpPostRequest request_;
  std::function<void(HttpPostResult)> done_;
  std::chrono::steady_clock::time_point deadline_;
  bool timed_out_ = false;
  http::request<http::string_body> message_;
  beast::flat_buffer buffer_;
  http::response_parser<http::empty_body> parser_;
};

}  // namespace

void http_post(net::io_context& ioc, std::shared_ptr<net::ssl::context> tls,
               HttpPostRequest request, std::function<void(HttpPostResult)> done) {
  if (request.url.https && !tls) {
    done({0, "https:// needs a TLS context"});
    return;
  }
  // What can fail before the attempt runs (no memory for the socket or the
  // TLS state: asio throws) is a failed attempt like any other, so no
  // exception leaves the caller's handler.
  auto fallback = done;
  try {
    if (request.url.https) {
      std::make_shared<Attempt<beast::ssl_stream<beast::tcp_stream>>>(
          ioc, std::move(tls), std::move(request), std::move(done))
          ->start();
    } else {
      std::make_shared<Attempt<beast::tcp_stream>>(ioc, nullptr, std::move(request),
                                                   std::move(done))
          ->start();
    }
  } catch (const std::exception& e) {
    fallback({0, std::string("cannot start the attempt: ") + e.what()});
  }
}

std::shared_ptr<net::ssl::context> make_client_tls_context(const std::string& ca_file) {
  auto context = std::make_shared<net::ssl::context>(net::ssl::context::tls_client);
  // Without its CA certificates the context verifies no receiver: every
  // https:// attempt then fails (logged, retried, counted), nothing throws.
  boost::system::error_code ec;
  context->set_verify_mode(net::ssl::verify_peer, ec);
  if (!ec) {
    if (ca_file.empty()) {
      context->set_default_verify_paths(ec);
    } else {
      context->load_verify_file(ca_file, ec);
    }
  }
  if (ec)
    spdlog::error("webhooks: cannot load the CA certificates{}: {}",
                  ca_file.empty() ? "" : " of " + ca_file, ec.message());
  return context;
}

}  // namespace parley
