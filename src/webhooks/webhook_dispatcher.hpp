// Webhook delivery (integration-v1.md, "Webhooks"). publish() only stamps the
// event (id, seq, time) and enqueues it, so the room code that calls it never
// waits for a receiver; delivery runs on the dispatcher's own strand, with one
// HTTP attempt per lane at a time (see DeliveryQueue): at least once, in seq
// order per room and URL, retried with backoff, bounded by max_queue.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "base/clock.hpp"
#include "webhooks/delivery_queue.hpp"
#include "webhooks/webhook_event.hpp"
#include "webhooks/webhook_signature.hpp"
#include "webhooks/webhook_stats.hpp"

namespace parley {

// The webhooks.* settings (interface-v1.md); a reload may change all of them.
struct WebhookSettings {
  std::vector<std::string> urls;  // http:// or https:// (checked by the configuration)
  std::string secret;             // signs every body; required when urls is not empty
  double timeout = 5;             // seconds per attempt, connection and TLS included
  std::size_t max_queue = 10000;  // events waiting; a full queue drops the newest

  bool operator==(const WebhookSettings&) const = default;
};

// Where webhook events go; what the room code calls (thread-safe, cheap).
class WebhookSink {
 public:
  virtual ~WebhookSink() = default;
  virtual void publish(WebhookEvent event) = 0;
};

class WebhookDispatcher final : public WebhookSink {
 public:
  struct Options {
    RetryPolicy retry;               // the contract's schedule by default; tests shorten it
    std::size_t max_in_flight = 64;  // HTTP attempts running at once, over every URL
    std::string ca_file;             // tests only: trust this CA instead of the system store
    WebhookSigner sign = webhook_signature;  // tests only: a signer that fails
  };

  // `ioc`, `clock` and `stats` must outlive the dispatcher's work on `ioc`
  // (until the io_context has run or destroyed its handlers).
  WebhookDispatcher(boost::asio::io_context& ioc, const Clock& clock, WebhookStats& stats,
                    WebhookSettings settings, Options options);
  WebhookDispatcher(boost::asio::io_context& ioc, const Clock& clock, WebhookStats& stats,
                    WebhookSettings settings);
  ~WebhookDispatcher() override;  // stop()
  WebhookDispatcher(const WebhookDispatcher&) = delete;
  WebhookDispatcher& operator=(const WebhookDispatcher&) = delete;

  // Stamps the event (unique id, the room's next seq unless it carries one,
  // Unix ms) and queues it
  // for every URL; when max_queue events wait already, drops it (logged,
  // counted). Thread-safe; never blocks on I/O. Without URLs only the room's
  // seq moves on.
  void publish(WebhookEvent event) override;

  // Applies new settings (a reload). The secret, timeout and max_queue apply
  // from the next attempt on, retries of queued events included; events
  // published from now on go to the new URLs; the queued events of a URL that
  // is no longer listed are dropped (counted), those of URLs kept stay queued.
  void configure(WebhookSettings settings);

  // No more attempts; queued events are abandoned. Thread-safe; once only
  // does anything (the destructor calls it too, so call it, or destroy the
  // dispatcher, while `ioc` still exists).
  void stop();

  // Events accepted and not yet finished at every URL.
  std::size_t waiting() const;

 private:
  class Core;
  std::shared_ptr<Core> core_;
};

}  // namespace parley
