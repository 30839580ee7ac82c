// Counters and gauges of the daemon, updated lock-free by the sessions and
// rendered in the Prometheus text format by the admin listener.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "net/connection_counters.hpp"
#include "policy/client_rules.hpp"
#include "rooms/room_directory.hpp"

namespace parley {

// The connection counters are net/'s (connection_counters.hpp); the rest are
// counted by the dialects.
class Metrics : public ConnectionCounters {
 public:
  // Upper bounds (seconds) of the relay latency histogram's buckets.
  static constexpr std::array<double, 12> kLatencyBuckets{
      0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25};

  std::atomic<std::uint64_t> handshake_rejections_total{0};
  std::atomic<std::uint64_t> resumes_total{0};
  std::atomic<std::uint64_t> rate_limit_closes_total{0};

  // `type`: offer, answer, candidate; any other counts as message.
  void count_relay(std::string_view type);
  void count_error(ErrorCode code);
  void observe_relay_latency(double seconds);

  // The whole exposition: these metrics, the room directory's counts,
  // process metrics (open fds, RSS) and build info.
  std::string render(const DirectoryCounts& rooms) const;

  // More series from another component (the webhooks), appended to render()'s
  // text. Call before the admin listener starts.
  void add_exposition(std::function<std::string()> render) {
    expositions_.push_back(std::move(render));
  }

 private:
  std::array<std::atomic<std::uint64_t>, 4> relayed_{};  // offer, answer, candidate, message
  std::array<std::atomic<std::uint64_t>, kErrorCodeCount> errors_{};
  std::array<std::atomic<std::uint64_t>, kLatencyBuckets.size() + 1> latency_counts_{};
  std::atomic<std::uint64_t> latency_sum_ns_{0};
  std::vector<std::function<std::string()>> expositions_;
};

}  // namespace parley
