#include "webhooks/webhook_stats.hpp"

namespace parley {

std::string WebhookStats::render() const {
  std::string out;
  out +=
      "# HELP parley_webhook_deliveries_total Webhook deliveries (per event and URL), by result.\n";
  out += "# TYPE parley_webhook_deliveries_total counter\n";
  out += "parley_webhook_deliveries_total{result=\"ok\"} " + std::to_string(ok.load()) + "\n";
  out += "parley_webhook_deliveries_total{result=\"retry\"} " + std::to_string(retry.load()) + "\n";
  out += "parley_webhook_deliveries_total{result=\"dropped\"} " + std::to_string(dropped.load()) +
         "\n";
  out += "# HELP parley_webhook_queue Webhook events waiting to be delivered.\n";
  out += "# TYPE parley_webhook_queue gauge\n";
  out += "parley_webhook_queue " + std::to_string(queue.load()) + "\n";
  out +=
      "# HELP parley_webhook_overflow_total Webhook events dropped because webhooks.max_queue was "
      "reached.\n";
  out += "# TYPE parley_webhook_overflow_total counter\n";
  out += "parley_webhook_overflow_total " + std::to_string(overflow.load()) + "\n";
  return out;
}

}  // namespace parley
