// Several parleyd processes (the built binary) on one redis-server, all on
// 127.0.0.1 with kernel-chosen ports: the cluster as operators run it. Each
// node's readiness is awaited through its /readyz, never through a sleep; every
// wait is bounded, and every process is stopped when its object goes.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "harness.hpp"
#include "redis_server.hpp"

namespace parley::test {

using Env = std::vector<std::pair<std::string, std::string>>;

class ClusterNode {
 public:
  // Starts parleyd with cluster.redis = `redis_url`, plus `extra` settings
  // (PARLEY_* variables). Returns once both listeners are open, not once ready.
  explicit ClusterNode(const std::string& redis_url, const Env& extra = {});

  std::uint16_t port() const { return process_.port(); }
  std::uint16_t admin_port() const { return process_.admin_port(); }
  DaemonProcess& process() { return process_; }
  // The node id the daemon drew (from its "cluster: node <id> on" log line).
  const std::string& node_id() const { return node_id_; }

  // GET /readyz: its status code (0 when the node does not answer).
  unsigned readyz();
  // Waits until /readyz answers `status` (200 or 503); false on timeout.
  bool await_readyz(unsigned status, std::chrono::milliseconds timeout = 15s);

 private:
  DaemonProcess process_;
  std::string node_id_;
};

// `count` nodes on one Redis, each awaited until /readyz says 200.
std::vector<std::unique_ptr<ClusterNode>> start_nodes(const RedisServer& redis, int count,
                                                      const Env& extra = {});

// True when some key of the Redis, or something it holds, contains `text`.
bool redis_mentions(const RedisServer& redis, const std::string& text);

}  // namespace parley::test
