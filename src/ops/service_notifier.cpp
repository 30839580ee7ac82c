#include "ops/service_notifier.hpp"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include <spdlog/spdlog.h>

namespace parley {

namespace {

// CLOCK_MONOTONIC, which is what systemd compares MONOTONIC_USEC against.
std::uint64_t monotonic_now_usec() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  return static_cast<std::uint64_t>(now.tv_sec) * 1000000u +
         static_cast<std::uint64_t>(now.tv_nsec) / 1000u;
}

}  // namespace

ServiceNotifier::ServiceNotifier() {
  const char* socket = std::getenv("NOTIFY_SOCKET");
  enabled_ = socket != nullptr && *socket != '\0';

  // sd_watchdog_enabled also honours WATCHDOG_PID: a watchdog meant for another
  // process (a parent shell, say) is not ours to feed. 0: keep the environment.
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
    watchdog_interval_ = std::chrono::microseconds(usec / 2);
  }
}

void ServiceNotifier::ready() noexcept {
  send("READY=1");
}

void ServiceNotifier::reloading() noexcept {
  if (!enabled_) return;
  try {
    send("RELOADING=1\nMONOTONIC_USEC=" + std::to_string(monotonic_now_usec()));
  } catch (...) {
    // Building the string can only fail for lack of memory; the reload goes on.
  }
}

void ServiceNotifier::stopping() noexcept {
  send("STOPPING=1");
}

void ServiceNotifier::watchdog() noexcept {
  send("WATCHDOG=1");
}

void ServiceNotifier::status(std::string_view text) noexcept {
  if (!enabled_) return;
  try {
    constexpr std::string_view prefix = "STATUS=";
    std::string message(prefix);
    message.append(text);
    // The protocol is one KEY=value per line: a newline would start a bogus key.
    for (std::size_t i = prefix.size(); i < message.size(); ++i) {
      if (message[i] == '\n' || message[i] == '\r') message[i] = ' ';
    }
    send(message);
  } catch (...) {
    // Out of memory while building a status line: not worth stopping for.
  }
}

void ServiceNotifier::send(const std::string& message) noexcept {
  if (!enabled_) return;
  // 0: leave NOTIFY_SOCKET in the environment for later messages.
  const int result = sd_notify(0, message.c_str());
  if (result < 0 && !failure_logged_.exchange(true)) {
    try {
      spdlog::warn("sd_notify failed: {} (further failures are not logged)",
                   std::strerror(-result));
    } catch (...) {
      // Logging must not turn a lost notification into a crash.
    }
  }
}

}  // namespace parley
