// The counters of client connections that net/ keeps up to date, lock-free;
// ops/metrics.hpp renders them with the daemon's other metrics (Metrics is
// one).
#pragma once

#include <atomic>
#include <cstdint>

namespace parley {

struct ConnectionCounters {
  std::atomic<std::int64_t> connections{0};  // open WebSocket/socket.io sessions
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> bytes_received_total{0};
  std::atomic<std::uint64_t> bytes_sent_total{0};
  std::atomic<std::uint64_t> slow_consumer_closes_total{0};
};

}  // namespace parley
