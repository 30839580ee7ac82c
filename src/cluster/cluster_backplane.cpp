#include "cluster/cluster_backplane.hpp"

#include <chrono>

#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "base/clock.hpp"
#include "base/ids.hpp"
#include "cluster/cluster_scripts.hpp"

namespace parley {

namespace asio = boost::asio;

namespace {

std::string milliseconds(double seconds) {
  return std::to_string(static_cast<long long>(seconds * 1000));
}

}  // namespace

std::shared_ptr<ClusterBackplane> ClusterBackplane::create(asio::any_io_executor executor,
                                                           BackplaneOptions options) {
  if (options.node_id.empty()) options.node_id = random_peer_id();
  auto backplane =
      std::shared_ptr<ClusterBackplane>(new ClusterBackplane(executor, std::move(options)));
  std::weak_ptr<ClusterBackplane> weak = backplane;
  RedisOptions subscriber_options = backplane->options_.redis;
  subscriber_options.client_name = "parley-subscriber";
  backplane->subscriber_ = RedisSubscriber::create(
      executor, subscriber_options, [weak](const std::string&, const std::string& payload) {
        auto self = weak.lock();
        if (!self) return;
        auto event = parse_node_event(payload);
        if (!event) {
          spdlog::warn("cluster: an event of an unknown kind on {} was ignored", self->channel());
          return;
        }
        if (event->kind == NodeEvent::Kind::hook) {
          if (self->on_hook_) self->on_hook_(*event);
        } else if (self->on_event_) {
          self->on_event_(*event);
        }
      });
  backplane->subscriber_->subscribe(backplane->channel());
  backplane->subscriber_->subscribe(backplane->hooks_channel());
  backplane->redis_->on_connected([weak] {
    if (auto self = weak.lock()) self->connected();
  });
  backplane->redis_->on_down([weak](const std::string&) {
    if (auto self = weak.lock()) {
      self->scripts_loaded_ = false;
      self->heartbeat_ok_ = false;
      self->update_ready();
    }
  });
  return backplane;
}

ClusterBackplane::ClusterBackplane(asio::any_io_executor executor, BackplaneOptions options)
    : options_(std::move(options)),
      redis_(RedisConnection::create(executor, options_.redis)),
      scripts_(redis_),
      heartbeat_timer_(redis_->strand()),
      sweep_timer_(redis_->strand()) {
  for (const auto& script : cluster_scripts()) scripts_.add(script.name, script.source);
}

void ClusterBackplane::on_event(std::function<void(const NodeEvent&)> handler) {
  on_event_ = std::move(handler);
}

void ClusterBackplane::on_hook(std::function<void(const NodeEvent&)> handler) {
  on_hook_ = std::move(handler);
}
void ClusterBackplane::on_restore_needed(std::function<void()> handler) {
  on_restore_needed_ = std::move(handler);
}
void ClusterBackplane::on_ready_changed(std::function<void(bool)> handler) {
  on_ready_changed_ = std::move(handler);
}

void ClusterBackplane::start() {
  std::weak_ptr<ClusterBackplane> weak = shared_from_this();
  subscriber_->on_subscribed([weak] {
    if (auto self = weak.lock())
      asio::post(self->redis_->strand(), [self] { self->update_ready(); });
  });
  subscriber_->start();
  redis_->start();
  asio::dispatch(redis_->strand(), [self = shared_from_this()] {
    self->schedule_heartbeat();
    self->schedule_sweep();
  });
}

void ClusterBackplane::stop(bool retire, std::function<void()> done) {
  asio::dispatch(redis_->strand(), [self = shared_from_this(), retire, done = std::move(done)] {
    if (self->stopped_) {
      if (done) done();
      return;
    }
    self->stopped_ = true;
    self->heartbeat_timer_.cancel();
    self->sweep_timer_.cancel();
    self->subscriber_->stop();
    auto finish = [self, done] {
      self->redis_->stop();
      self->update_ready();
      if (done) done();
    };
    if (retire && self->redis_->connected())
      self->redis_->command({"DEL", "parley:node:" + self->node_id()},
                            [finish](RedisReply) { finish(); });
    else
      finish();
  });
}

void ClusterBackplane::run(const std::string& script, std::vector<std::string> args,
                           RedisConnection::Callback callback) {
  const auto& all = cluster_scripts();
  for (std::size_t id = 0; id < all.size(); ++id) {
    if (all[id].name == script) {
      // The reply keeps the backplane (and so its script registry) alive.
      scripts_.run(id, {}, std::move(args),
                   [self = shared_from_this(), callback = std::move(callback)](RedisReply reply) {
                     callback(std::move(reply));
                   });
      return;
    }
  }
  throw std::out_of_range("no cluster script named " + script);
}

// After every (re)connection: load the scripts, then beat at once (which also
// tells whether this node's record survived).
void ClusterBackplane::connected() {
  scripts_.load_all([self = shared_from_this()](const std::string& error) {
    self->scripts_loaded_ = error.empty();
    self->heartbeat();
  });
}

void ClusterBackplane::heartbeat() {
  if (stopped_ || !redis_->connected()) return;
  run("heartbeat", {node_id(), milliseconds(options_.heartbeat_ttl)},
      [self = shared_from_this()](RedisReply reply) {
        const bool ok = !reply.is_error() && reply.elements.size() == 2;
        if (!ok) spdlog::warn("cluster: heartbeat failed: {}", to_string(reply));
        self->heartbeat_ok_ = ok;
        self->update_ready();
        if (ok && reply.elements[0].integer == 0 && self->on_restore_needed_)
          self->on_restore_needed_();
      });
}

void ClusterBackplane::schedule_heartbeat() {
  heartbeat_timer_.expires_after(seconds(options_.heartbeat_interval));
  heartbeat_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped_) return;
    self->heartbeat();
    self->schedule_heartbeat();
  });
}

// Dead nodes first (their peers become away), then away peers whose grace ran out.
void ClusterBackplane::sweep() {
  if (stopped_ || !redis_->connected()) return;
  // This node emits the webhook events of the changes its sweep makes.
  run("reap",
      {milliseconds(options_.resume_grace), std::to_string(options_.sweep_batch), node_id()},
      [self = shared_from_this()](RedisReply reply) {
        if (reply.is_error()) {
          spdlog::warn("cluster: reap failed: {}", reply.text);
          return;
        }
        if (reply.elements.size() == 3 && reply.elements[0].integer > 0)
          spdlog::info("cluster: cleaned up after {} dead node(s), {} peer(s)",
                       reply.elements[0].integer, reply.elements[1].integer);
        if (reply.elements.size() == 3 && reply.elements[2].integer == 1) {
          self->sweep();  // more to do: go on before expiring
          return;
        }
        self->run("expire", {std::to_string(self->options_.sweep_batch), self->node_id()},
                  [](RedisReply reply) {
                    if (reply.is_error()) spdlog::warn("cluster: expire failed: {}", reply.text);
                  });
      });
}

void ClusterBackplane::schedule_sweep() {
  sweep_timer_.expires_after(seconds(options_.sweep_interval));
  sweep_timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec || self->stopped_) return;
    self->sweep();
    self->schedule_sweep();
  });
}

void ClusterBackplane::update_ready() {
  const bool now = !stopped_ && redis_->connected() && scripts_loaded_ && heartbeat_ok_ &&
                   subscriber_->subscribed();
  if (ready_.exchange(now) != now) {
    spdlog::info("cluster: node {} is {}", node_id(), now ? "ready" : "not ready");
    // Nobody is told anything after stop(): its caller may be gone already.
    if (on_ready_changed_ && !stopped_) on_ready_changed_(now);
  }
}

}  // namespace parley
