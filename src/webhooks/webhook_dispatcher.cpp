#include "webhooks/webhook_dispatcher.hpp"

#include <atomic>
#include <cmath>
#include <mutex>
#include <unordered_map>

#include <spdlog/spdlog.h>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "base/http_url.hpp"
#include "base/ids.hpp"
#include "webhooks/http_post.hpp"
#include "webhooks/webhook_signature.hpp"

namespace parley {

namespace net = boost::asio;

namespace {

// A full queue is reported at most this often (seconds), with the count since.
constexpr double kOverflowLogPeriod = 10;

struct Published {
  WebhookEvent event;
  WebhookStamp stamp;  // id is filled in on the strand
};

std::chrono::steady_clock::duration to_duration(double seconds) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(seconds));
}

}  // namespace

class WebhookDispatcher::Core : public std::enable_shared_from_this<Core> {
 public:
  Core(net::io_context& ioc, const Clock& clock, WebhookStats& stats, WebhookSettings settings,
       Options options)
      : ioc_(ioc),
        clock_(clock),
        stats_(stats),
        options_(std::move(options)),
        strand_(net::make_strand(ioc)),
        timer_(strand_),
        tls_(make_client_tls_context(options_.ca_file)),
        shared_(settings),
        queue_(options_.retry, options_.max_in_flight) {
    apply(std::move(settings));
  }

  void publish(WebhookEvent event) {
    bool kick = false;
    {
      std::lock_guard lock(mutex_);
      const std::uint64_t seq = next_seq(event);
      if (stopped_ || shared_.urls.empty()) return;
      if (waiting_.load() >= shared_.max_queue) {
        overflow_locked(event, seq);
        return;
      }
      ++waiting_;
      stats_.queue.fetch_add(1, std::memory_order_relaxed);
      const std::int64_t at_ms = clock_.unix_now_ms();
      inbox_.push_back({std::move(event), {{}, seq, at_ms}});
      kick = !kick_posted_;
      kick_posted_ = true;
    }
    if (kick) net::post(strand_, [self = shared_from_this()] { self->take_inbox(); });
  }

  void configure(WebhookSettings settings) {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      shared_ = settings;
    }
    net::post(strand_, [self = shared_from_this(), settings = std::move(settings)]() mutable {
      self->apply(std::move(settings));
      self->pump();
    });
  }

  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (std::exchange(stopped_, true)) return;
    }
    net::post(strand_, [self = shared_from_this()] {
      self->halted_ = true;
      self->timer_.cancel();
    });
  }

  std::size_t waiting() const { return waiting_.load(); }

 private:
  // The room's seq for this event (under mutex_): the one it carries when the
  // room directory numbered it, else room-started restarts it at 1,
  // room-finished ends it.
  std::uint64_t next_seq(const WebhookEvent& event) {
    if (event.seq != 0) return event.seq;
    if (event.type == WebhookEventType::room_started) {
      seqs_[event.room] = 1;
      return 1;
    }
    const auto found = seqs_.find(event.room);
    if (found == seqs_.end()) {
      // A room that existed before (should not happen): number it from 1.
      if (event.type == WebhookEventType::room_finished) return 1;
      seqs_[event.room] = 1;
      return 1;
    }
    const std::uint64_t seq = ++found->second;
    if (event.type == WebhookEventType::room_finished) seqs_.erase(found);
    return seq;
  }

  void overflow_locked(const WebhookEvent& event, std::uint64_t seq) {
    stats_.overflow.fetch_add(1, std::memory_order_relaxed);
    stats_.dropped.fetch_add(shared_.urls.size(), std::memory_order_relaxed);
    ++overflow_since_log_;
    const double now = clock_.now();
    if (overflow_logged_at_ < 0 || now - overflow_logged_at_ >= kOverflowLogPeriod) {
      spdlog::warn(
          "webhooks: the queue is full (webhooks.max_queue {}): dropped {} newest event(s), "
          "the last {} seq {} of room {:?}",
          shared_.max_queue, overflow_since_log_, to_string(event.type), seq, event.room);
      overflow_logged_at_ = now;
      overflow_since_log_ = 0;
    }
  }

  // On the strand from here on.

  void apply(WebhookSettings settings) {
    std::vector<std::string> usable;
    urls_.clear();
    for (const auto& text : settings.urls) {
      std::string why;
      if (auto url = parse_http_url(text, &why)) {
        urls_.emplace(text, std::move(*url));
        usable.push_back(text);
      } else {
        // The configuration checks URLs; this is only a second line.
        spdlog::error("webhooks: ignoring a URL of webhooks.urls: {}", why);
      }
    }
    const std::size_t before = queue_.size();
    const std::size_t dropped = queue_.set_urls(usable);
    if (dropped > 0) {
      spdlog::warn("webhooks: dropped {} queued deliveries to URLs no longer configured", dropped);
      stats_.dropped.fetch_add(dropped, std::memory_order_relaxed);
    }
    release(before - queue_.size());
    active_ = std::move(settings);
  }

  void release(std::size_t finished_events) {
    if (finished_events == 0) return;
    waiting_ -= finished_events;
    stats_.queue.fetch_sub(static_cast<std::int64_t>(finished_events), std::memory_order_relaxed);
  }

  void take_inbox() {
    std::vector<Published> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(inbox_);
      kick_posted_ = false;
    }
    if (halted_) return;
    for (auto& item : batch) {
      item.stamp.id = random_peer_id();
      std::string body = webhook_body(item.event, item.stamp);
      if (queue_.urls().empty()) {  // every URL went away in between
        release(1);
        continue;
      }
      queue_.push(std::move(item.stamp.id), std::move(item.event.room), std::move(body));
    }
    pump();
  }

  void pump() {
    if (halted_) return;
    const double now = clock_.now();
    for (auto& attempt : queue_.start_due(now)) send(std::move(attempt));
    arm_timer();
  }

  void arm_timer() {
    const auto due = queue_.next_due();
    if (!due) {
      timer_.cancel();
      return;
    }
    const double delay = std::max(0.0, *due - clock_.now());
    timer_.expires_after(to_duration(delay));
    timer_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec) self->pump();
    });
  }

  void send(DeliveryQueue::Attempt attempt) {
    const auto url = urls_.find(attempt.url);
    if (url == urls_.end()) return;  // cannot happen: the queue holds configured URLs only
    auto signature = options_.sign(active_.secret, clock_.unix_now(), attempt.event->body);
    if (!signature) {
      // OpenSSL failed to sign (out of memory): a failed attempt, retried
      // like any other, after the caller's loop (finished() pumps again).
      net::post(strand_, [self = shared_from_this(), attempt = std::move(attempt)] {
        self->finished(attempt, HttpPostResult{0, "signing failed (OpenSSL HMAC)"});
      });
      return;
    }
    HttpPostRequest request;
    request.url = url->second;
    request.body = attempt.event->body;
    request.timeout = to_duration(active_.timeout);
    request.headers = {{"Content-Type", "application/json"},
                       {std::string(kSignatureHeader), std::move(*signature)}};
    http_post(ioc_, tls_, std::move(request),
              [self = shared_from_this(), attempt = std::move(attempt)](HttpPostResult result) {
                net::post(self->strand_, [self, attempt, result = std::move(result)] {
                  self->finished(attempt, result);
                });
              });
  }

  void finished(const DeliveryQueue::Attempt& attempt, const HttpPostResult& result) {
    if (halted_) return;
    const std::size_t before = queue_.size();
    const auto outcome = queue_.finish(attempt.lane, result.ok(), clock_.now());
    const std::string why =
        result.status != 0 ? "status " + std::to_string(result.status) : result.error;
    const auto url = urls_.find(attempt.url);
    const std::string where = url != urls_.end() ? url->second.loggable() : "a removed URL";
    switch (outcome) {
      case DeliveryQueue::Result::delivered:
        stats_.ok.fetch_add(1, std::memory_order_relaxed);
        break;
      case DeliveryQueue::Result::retrying:
        stats_.retry.fetch_add(1, std::memory_order_relaxed);
        spdlog::debug("webhooks: {} of room {:?} to {}: attempt {} failed ({}), will retry",
                      attempt.event->id, attempt.event->room, where, attempt.number, why);
        break;
      case DeliveryQueue::Result::dropped:
        stats_.dropped.fetch_add(1, std::memory_order_relaxed);
        spdlog::warn("webhooks: dropped event {} of room {:?} for {} after {} attempts (last: {})",
                     attempt.event->id, attempt.event->room, where, attempt.number, why);
        break;
      case DeliveryQueue::Result::stale:
        break;
    }
    release(before - queue_.size());
    pump();
  }

  net::io_context& ioc_;
  const Clock& clock_;
  WebhookStats& stats_;
  const Options options_;
  net::strand<net::io_context::executor_type> strand_;
  net::steady_timer timer_;
  std::shared_ptr<net::ssl::context> tls_;

  // Shared with publishers, under mutex_.
  std::mutex mutex_;
  WebhookSettings shared_;
  std::vector<Published> inbox_;
  std::unordered_map<std::string, std::uint64_t> seqs_;  // room -> last seq
  bool kick_posted_ = false;
  bool stopped_ = false;
  double overflow_logged_at_ = -1;
  std::size_t overflow_since_log_ = 0;

  std::atomic<std::size_t> waiting_{0};

  // The strand's own.
  WebhookSettings active_;
  std::unordered_map<std::string, HttpUrl> urls_;
  DeliveryQueue queue_;
  bool halted_ = false;
};

WebhookDispatcher::WebhookDispatcher(net::io_context& ioc, const Clock& clock, WebhookStats& stats,
                                     WebhookSettings settings, Options options)
    : core_(std::make_shared<Core>(ioc, clock, stats, std::move(settings), std::move(options))) {}

WebhookDispatcher::WebhookDispatcher(net::io_context& ioc, const Clock& clock, WebhookStats& stats,
                                     WebhookSettings settings)
    : WebhookDispatcher(ioc, clock, stats, std::move(settings), Options{}) {}

WebhookDispatcher::~WebhookDispatcher() {
  core_->stop();
}

void WebhookDispatcher::publish(WebhookEvent event) {
  core_->publish(std::move(event));
}
void WebhookDispatcher::configure(WebhookSettings settings) {
  core_->configure(std::move(settings));
}
void WebhookDispatcher::stop() {
  core_->stop();
}
std::size_t WebhookDispatcher::waiting() const {
  return core_->waiting();
}

}  // namespace parley
