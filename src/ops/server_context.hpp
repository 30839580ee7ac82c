// What every session and the admin API need from the server: net/'s context
// (limiter, drain, live sockets, configuration, TLS) and above it the room
// directory, the metrics, the clock and the reload hook. Here in ops/, the
// lowest layer that may know all of them; the dialects and the admin API
// include it, net/ never does.
#pragma once

#include <functional>

#include "base/clock.hpp"
#include "net/net_context.hpp"
#include "ops/metrics.hpp"
#include "rooms/room_directory.hpp"

namespace parley {

struct ServerContext : NetContext {
  ServerContext(boost::asio::io_context& io, const Clock& c, RoomDirectory& d, Metrics& m)
      : NetContext(io, m), clock(c), directory(d), metrics(m) {}

  const Clock& clock;
  RoomDirectory& directory;
  Metrics& metrics;
  std::function<bool()> reload;  // POST /admin/reload; true when the new file was applied
};

}  // namespace parley
