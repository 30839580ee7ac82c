// A pub/sub connection: a connection in SUBSCRIBE mode can run no other command,
// so subscriptions get a connection of their own. It remembers the channels it
// should be subscribed to and subscribes to all of them again after every
// reconnection: without that, deliveries would silently stop after a Redis
// restart (the failure facts.md reports of socket.io's Redis adapter).
// `subscribed()` is true only while Redis has confirmed every channel, which is
// what readiness should reflect, not merely an open socket.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <set>
#include <string>

#include "cluster/redis_connection.hpp"

namespace parley {

class RedisSubscriber : public std::enable_shared_from_this<RedisSubscriber> {
 public:
  // (channel, payload), on the connection's strand.
  using MessageHandler = std::function<void(const std::string&, const std::string&)>;

  static std::shared_ptr<RedisSubscriber> create(boost::asio::any_io_executor executor,
                                                 RedisOptions options, MessageHandler handler);

  // Set before start(): runs on the strand each time every channel is confirmed
  // (after each reconnection too).
  void on_subscribed(std::function<void()> handler);
  void start();
  void stop();

  // Thread-safe; take effect now when connected, and after every reconnection.
  void subscribe(const std::string& channel);
  void unsubscribe(const std::string& channel);

  bool subscribed() const { return subscribed_.load(); }
  bool connected() const { return connection_->connected(); }
  std::uint64_t connections() const { return connection_->connections(); }

 private:
  RedisSubscriber(std::shared_ptr<RedisConnection> connection, MessageHandler handler);
  void resubscribe();
  void on_push(const RedisReply& reply);
  void update_state();

  std::shared_ptr<RedisConnection> connection_;
  MessageHandler handler_;
  std::function<void()> on_subscribed_;
  // Touched on the strand only.
  std::set<std::string> wanted_;
  std::set<std::string> confirmed_;
  std::atomic<bool> subscribed_{false};
};

}  // namespace parley
