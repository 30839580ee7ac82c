// What the connections of net/ share: the event loop, the connection limiter,
// the sessions a drain closes, the draining flag, the live sockets a drain
// waits for, the connection counters, the current configuration (replaced as
// a whole on reload; a connection keeps the snapshot it started with) and the
// TLS context. Nothing of rooms or dialects: what sessions need besides is
// ServerContext (ops/server_context.hpp), which is one of these.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "config/config.hpp"
#include "net/connection_counters.hpp"
#include "net/connection_limiter.hpp"
#include "net/session_tracker.hpp"

namespace parley {

struct NetContext {
  NetContext(boost::asio::io_context& io, ConnectionCounters& c) : ioc(io), counters(c) {}
  NetContext(const NetContext&) = delete;
  NetContext& operator=(const NetContext&) = delete;

  boost::asio::io_context& ioc;
  ConnectionCounters& counters;
  ConnectionLimiter limiter;
  SessionTracker sessions;
  std::atomic<bool> draining{false};
  // WebSocket connections whose socket still exists, and socket.io sessions
  // not yet ended (a drain waits for their close handshakes).
  std::atomic<std::int64_t> live_sockets{0};

  std::shared_ptr<const Config> config() const { return config_.load(); }
  void set_config(std::shared_ptr<const Config> config) { config_.store(std::move(config)); }
  std::shared_ptr<boost::asio::ssl::context> tls() const { return tls_.load(); }
  void set_tls(std::shared_ptr<boost::asio::ssl::context> tls) { tls_.store(std::move(tls)); }

 private:
  std::atomic<std::shared_ptr<const Config>> config_;
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> tls_;
};

}  // namespace parley
