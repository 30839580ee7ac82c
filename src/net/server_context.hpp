// What every session needs from the server: the room directory, metrics, the
// current configuration (replaced as a whole on reload; a session keeps the
// snapshot it started with), and the set of live sessions for a drain.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>

#include "base/clock.hpp"
#include "config/config.hpp"
#include "net/connection_limiter.hpp"
#include "ops/metrics.hpp"
#include "rooms/room_directory.hpp"

namespace parley {

// Something the server can ask to go away on shutdown (from any thread).
class Closable {
 public:
  virtual ~Closable() = default;
  // Close with `code` (1001 going away; 1012 service restart in a cluster).
  virtual void shutdown(unsigned short code) = 0;
};

class SessionTracker {
 public:
  std::uint64_t add(std::weak_ptr<Closable> session);
  void remove(std::uint64_t key);
  std::size_t size() const;
  void shutdown_all(unsigned short code);

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> sessions_;
};

struct ServerContext {
  ServerContext(boost::asio::io_context& io, const Clock& c, RoomDirectory& d, Metrics& m)
      : ioc(io), clock(c), directory(d), metrics(m) {}

  boost::asio::io_context& ioc;
  const Clock& clock;
  RoomDirectory& directory;
  Metrics& metrics;
  ConnectionLimiter limiter;
  SessionTracker sessions;
  std::atomic<bool> draining{false};
  // WebSocket connections whose socket still exists (a drain waits for their
  // close handshakes).
  std::atomic<std::int64_t> live_sockets{0};
  std::function<bool()> reload;  // POST /admin/reload; true when the new file was applied

  std::shared_ptr<const Config> config() const { return config_.load(); }
  void set_config(std::shared_ptr<const Config> config) { config_.store(std::move(config)); }
  std::shared_ptr<boost::asio::ssl::context> tls() const { return tls_.load(); }
  void set_tls(std::shared_ptr<boost::asio::ssl::context> tls) { tls_.store(std::move(tls)); }

 private:
  std::atomic<std::shared_ptr<const Config>> config_;
  std::atomic<std::shared_ptr<boost::asio::ssl::context>> tls_;
};

}  // namespace parley
