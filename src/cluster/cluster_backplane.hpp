// One node's presence in the cluster, below the Redis RoomDirectory: its command
// connection with the cluster's scripts loaded, its subscription to its own
// channel, its heartbeat, and the periodic sweep that every node runs (clean up
// after dead nodes, end away peers whose grace ran out). It decides nothing about
// rooms or sessions: it runs scripts for its user and hands it the events that
// arrive for this node.
//
// ready() is what /readyz needs: commands connected, scripts loaded, the node's
// channel confirmed by Redis, and the last heartbeat written.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "cluster/node_event.hpp"
#include "cluster/redis_connection.hpp"
#include "cluster/redis_scripts.hpp"
#include "cluster/redis_subscriber.hpp"

namespace parley {

struct BackplaneOptions {
  RedisOptions redis;
  std::string node_id;            // empty: a random one (a node is new at each start)
  double heartbeat_interval = 1;  // seconds between heartbeats
  double heartbeat_ttl = 5;       // seconds after the last one that the node counts as dead
  double sweep_interval = 1;      // seconds between reap + expire runs
  double resume_grace = 15;       // for the peers of a dead node (resume.grace)
  unsigned sweep_batch = 1000;    // peers per script call, so Redis is never blocked long
};

class ClusterBackplane : public std::enable_shared_from_this<ClusterBackplane> {
 public:
  static std::shared_ptr<ClusterBackplane> create(boost::asio::any_io_executor executor,
                                                  BackplaneOptions options);

  // Set before start(); all run on the command connection's strand, except
  // on_event and on_hook, which run on the subscriber's. None is called after stop().
  void on_event(std::function<void(const NodeEvent&)> handler);
  // The `hook` events of hooks_channel() (webhook events of this node's
  // changes) go here instead; without a handler they are ignored. Set before
  // start().
  void on_hook(std::function<void(const NodeEvent&)> handler);
  // The heartbeat found the node's record missing (first start, Redis restarted
  // empty, or the node was cut off long enough to be reaped): register the
  // node's peers again (the `restore` script).
  void on_restore_needed(std::function<void()> handler);
  // The ready() state changed.
  void on_ready_changed(std::function<void(bool)> handler);

  void start();
  // Stops heartbeats and both connections. With `retire`, first deletes the
  // node's heartbeat key so that the others reap it at once (a clean exit).
  // `done` runs on the strand once that is over (a daemon waits for it before
  // it stops its event loop, so the key is really gone).
  void stop(bool retire = false, std::function<void()> done = {});

  // Runs one of the cluster's scripts (cluster_scripts.hpp) by name.
  void run(const std::string& script, std::vector<std::string> args,
           RedisConnection::Callback callback);

  bool ready() const { return ready_.load(); }
  const std::string& node_id() const { return options_.node_id; }
  // The command connection's strand (for the timers of the backplane's users).
  boost::asio::any_io_executor executor() { return redis_->strand(); }
  std::string channel() const { return "parley:ch:" + options_.node_id; }
  // The webhook events of the changes this node makes (kind `hook`).
  std::string hooks_channel() const { return "parley:hooks:" + options_.node_id; }

 private:
  ClusterBackplane(boost::asio::any_io_executor executor, BackplaneOptions options);
  void connected();
  void heartbeat();
  void schedule_heartbeat();
  void sweep();
  void schedule_sweep();
  void update_ready();

  BackplaneOptions options_;
  std::shared_ptr<RedisConnection> redis_;
  std::shared_ptr<RedisSubscriber> subscriber_;
  RedisScripts scripts_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer sweep_timer_;
  bool stopped_ = false;
  bool scripts_loaded_ = false;
  bool heartbeat_ok_ = false;
  std::atomic<bool> ready_{false};

  std::function<void(const NodeEvent&)> on_event_;
  std::function<void(const NodeEvent&)> on_hook_;
  std::function<void()> on_restore_needed_;
  std::function<void(bool)> on_ready_changed_;
};

}  // namespace parley
