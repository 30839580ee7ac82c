// Accepts TCP connections on one endpoint and starts an HTTP session for each,
// on a strand of its own.
#pragma once

#include <functional>
#include <memory>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "http_session.hpp"

namespace parley {

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `tls` is asked for the current TLS context at each accept (a reload may
  // change the certificate); it returns null for plain HTTP.
  Listener(ServerContext& context, HttpRouter& router,
           std::function<std::shared_ptr<boost::asio::ssl::context>()> tls);

  // Binds and listens; throws std::runtime_error naming the endpoint on failure.
  void listen(const std::string& address, std::uint16_t port);
  void start();
  void stop();  // from any thread
  std::uint16_t port() const { return port_; }

 private:
  void accept();

  ServerContext& context_;
  HttpRouter& router_;
  std::function<std::shared_ptr<boost::asio::ssl::context>()> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::uint16_t port_ = 0;
};

}  // namespace parley
