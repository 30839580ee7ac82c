#include "net/listener.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace parley {

namespace net = boost::asio;
using net::ip::tcp;

Listener::Listener(NetContext& context, HttpRouter& router,
                   std::function<std::shared_ptr<net::ssl::context>()> tls)
    : context_(context),
      router_(router),
      tls_(std::move(tls)),
      acceptor_(net::make_strand(context.ioc)),
      retry_timer_(acceptor_.get_executor()) {}

void Listener::listen(const std::string& address, std::uint16_t port) {
  boost::system::error_code ec;
  const auto ip = net::ip::make_address(address, ec);
  if (ec) throw ListenError("cannot listen on " + address + ": not an IP address", ec);
  const tcp::endpoint endpoint(ip, port);
  auto fail = [&](const char* step) {
    throw ListenError(std::string("cannot listen on ") + address + ":" + std::to_string(port) +
                          " (" + step + "): " + ec.message(),
                      ec);
  };
  acceptor_.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  acceptor_.bind(endpoint, ec);
  if (ec) fail("bind");
  acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) fail("listen");
  port_ = acceptor_.local_endpoint().port();
}

void Listener::start() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] { self->accept(); });
}

void Listener::stop() {
  net::post(acceptor_.get_executor(), [self = shared_from_this()] {
    boost::system::error_code ignored;
    self->retry_timer_.cancel();
    self->acceptor_.close(ignored);
  });
}

void Listener::accept() {
  acceptor_.async_accept(
      net::make_strand(context_.ioc),
      [self = shared_from_this()](boost::system::error_code ec, tcp::socket socket) {
        if (ec == net::error::operation_aborted || !self->acceptor_.is_open()) return;
        if (ec) {
          // Out of file descriptors (or similar): back off briefly instead of
          // spinning; established sessions go on.
          spdlog::warn("accept failed: {}", ec.message());
          self->retry_timer_.expires_after(std::chrono::milliseconds(50));
          self->retry_timer_.async_wait([self](boost::system::error_code wait_ec) {
            if (!wait_ec) self->accept();
          });
          return;
        }
        start_http_session(std::move(socket), self->router_, self->context_, self->tls_());
        self->accept();
      });
}

}  // namespace parley
