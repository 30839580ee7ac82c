// The daemon as an object: both listeners, the event loop threads, the room
// directory, metrics, signals and the drain. main() builds one from the
// configuration; integration tests build one on 127.0.0.1 port 0.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>

#include "base/clock.hpp"
#include "config/config.hpp"

namespace parley {

class RoomDirectory;
class Metrics;

// Loads what start() loads from files (the TLS certificate and key, when
// configured), the way start() does; throws std::runtime_error naming the key
// (`tls.cert: cannot load ...`). For --check-config.
void check_startup_files(const Config& config);

class Server {
 public:
  // `reload_source` builds a fresh configuration for SIGHUP and POST
  // /admin/reload (it throws ConfigError on a bad file); without it a reload
  // fails. `clock` defaults to the system clock.
  explicit Server(Config config, std::function<Config()> reload_source = {},
                  std::shared_ptr<const Clock> clock = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds both listeners (throws std::runtime_error naming the address, the key
  // that sets it and how to change it when it cannot) and loads the TLS
  // certificate when configured.
  void start();
  // Handles SIGTERM/SIGINT (drain and exit) and SIGHUP (reload) from now on.
  void handle_signals();
  // Runs the event loop on `threads` threads; returns once a drain finished.
  void run();
  // Begins the drain: /readyz turns 503, listeners close, every session gets
  // 1001; run() returns within a few seconds. Thread-safe.
  void shutdown();
  // Re-reads the configuration and applies it to new sessions; false (and the
  // old configuration stays) when the new one is bad. Thread-safe.
  bool reload();

  std::uint16_t public_port() const;
  std::uint16_t admin_port() const;
  RoomDirectory& directory();
  Metrics& metrics();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace parley
