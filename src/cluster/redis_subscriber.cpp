#include "cluster/redis_subscriber.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>

namespace parley {

std::shared_ptr<RedisSubscriber> RedisSubscriber::create(boost::asio::any_io_executor executor,
                                                         RedisOptions options,
                                                         MessageHandler handler) {
  if (options.client_name == "parley") options.client_name = "parley-subscriber";
  auto connection = RedisConnection::create(executor, std::move(options));
  auto subscriber =
      std::shared_ptr<RedisSubscriber>(new RedisSubscriber(connection, std::move(handler)));
  std::weak_ptr<RedisSubscriber> weak = subscriber;
  connection->on_connected([weak] {
    if (auto self = weak.lock()) self->resubscribe();
  });
  connection->on_down([weak](const std::string&) {
    if (auto self = weak.lock()) {
      self->confirmed_.clear();
      self->update_state();
    }
  });
  connection->on_push([weak](const RedisReply& reply) {
    if (auto self = weak.lock()) self->on_push(reply);
  });
  return subscriber;
}

RedisSubscriber::RedisSubscriber(std::shared_ptr<RedisConnection> connection,
                                 MessageHandler handler)
    : connection_(std::move(connection)), handler_(std::move(handler)) {}

void RedisSubscriber::on_subscribed(std::function<void()> handler) {
  on_subscribed_ = std::move(handler);
}

void RedisSubscriber::start() {
  connection_->start();
}
void RedisSubscriber::stop() {
  connection_->stop();
}

void RedisSubscriber::resubscribe() {
  confirmed_.clear();
  update_state();
  if (wanted_.empty()) return;
  std::vector<std::string> args{"SUBSCRIBE"};
  args.insert(args.end(), wanted_.begin(), wanted_.end());
  connection_->push(std::move(args));
}

void RedisSubscriber::subscribe(const std::string& channel) {
  boost::asio::dispatch(connection_->strand(), [self = shared_from_this(), channel] {
    if (!self->wanted_.insert(channel).second) return;
    self->update_state();
    self->connection_->push({"SUBSCRIBE", channel});
  });
}

void RedisSubscriber::unsubscribe(const std::string& channel) {
  boost::asio::dispatch(connection_->strand(), [self = shared_from_this(), channel] {
    if (self->wanted_.erase(channel) == 0) return;
    self->confirmed_.erase(channel);
    self->update_state();
    self->connection_->push({"UNSUBSCRIBE", channel});
  });
}

void RedisSubscriber::on_push(const RedisReply& reply) {
  // RESP2 pub/sub replies: [kind, channel, payload-or-count].
  if (!reply.is_array() || reply.elements.size() < 3) {
    if (reply.is_error()) spdlog::warn("redis: subscriber error: {}", reply.text);
    return;
  }
  const std::string& kind = reply.elements[0].text;
  const std::string& channel = reply.elements[1].text;
  if (kind == "message") {
    if (wanted_.count(channel) && handler_) handler_(channel, reply.elements[2].text);
  } else if (kind == "subscribe") {
    if (wanted_.count(channel)) confirmed_.insert(channel);
    update_state();
  } else if (kind == "unsubscribe") {
    confirmed_.erase(channel);
    update_state();
  }
}

void RedisSubscriber::update_state() {
  const bool now = connection_->connected() && confirmed_ == wanted_;
  const bool before = subscribed_.exchange(now);
  if (now && !before && on_subscribed_) on_subscribed_();
}

}  // namespace parley
