// Accepts TCP connections on one endpoint and starts an HTTP session for each,
// on a strand of its own.
#pragma once

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "net/http_session.hpp"

namespace parley {

// A listener that could not open: the message names the endpoint and the step,
// the code says why (address_in_use, access_denied, ...).
class ListenError : public std::runtime_error {
 public:
  ListenError(const std::string& message, boost::system::error_code code)
      : std::runtime_error(message), code_(code) {}
  boost::system::error_code code() const { return code_; }

 private:
  boost::system::error_code code_;
};

class Listener : public std::enable_shared_from_this<Listener> {
 public:
  // `tls` is asked for the current TLS context at each accept (a reload may
  // change the certificate); it returns null for plain HTTP.
  Listener(NetContext& context, HttpRouter& router,
           std::function<std::shared_ptr<boost::asio::ssl::context>()> tls);

  // Binds and listens; throws ListenError naming the endpoint on failure.
  void listen(const std::string& address, std::uint16_t port);
  void start();
  void stop();  // from any thread
  std::uint16_t port() const { return port_; }

 private:
  void accept();

  NetContext& context_;
  HttpRouter& router_;
  std::function<std::shared_ptr<boost::asio::ssl::context>()> tls_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  std::uint16_t port_ = 0;
};

}  // namespace parley
