// The webhook metrics of integration-v1.md, updated by the dispatcher and
// rendered into the admin listener's /metrics.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

namespace parley {

struct WebhookStats {
  // Deliveries are counted per event and URL.
  std::atomic<std::uint64_t> ok{0};        // answered 2xx
  std::atomic<std::uint64_t> retry{0};     // failed, will be tried again
  std::atomic<std::uint64_t> dropped{0};   // given up: retries exhausted, queue full, URL removed
  std::atomic<std::uint64_t> overflow{0};  // events refused because webhooks.max_queue was reached
  std::atomic<std::int64_t> queue{0};      // events waiting (not yet finished at every URL)

  // Prometheus text: parley_webhook_deliveries_total{result}, parley_webhook_queue,
  // parley_webhook_overflow_total.
  std::string render() const;
};

}  // namespace parley
