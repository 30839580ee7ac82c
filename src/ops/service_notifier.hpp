// Tells systemd (or any service manager speaking the sd_notify protocol) where
// the daemon is in its life: ready, reloading, stopping, still alive. Under
// systemd, NOTIFY_SOCKET names the socket to write to and WATCHDOG_USEC the
// watchdog timeout; without them every call does nothing, so the daemon can
// call these unconditionally.
#pragma once

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

class ServiceNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID once. The environment is
  // left as it is: other code (and other instances, in tests) may read it too.
  ServiceNotifier();

  // True when NOTIFY_SOCKET was set at construction.
  bool enabled() const noexcept { return enabled_; }

  // READY=1: the listeners are open (also sent again when a reload finished).
  void ready() noexcept;
  // RELOADING=1 with MONOTONIC_USEC, in one message, as systemd >= 253 requires
  // for Type=notify-reload; older systemd ignores the extra field.
  void reloading() noexcept;
  // STOPPING=1: draining has begun.
  void stopping() noexcept;
  // WATCHDOG=1: the event loop is alive; send it every watchdog_interval().
  void watchdog() noexcept;
  // STATUS=<text>: one line shown by `systemctl status` (newlines become spaces).
  void status(std::string_view text) noexcept;

  // Half of WATCHDOG_USEC when the service manager enabled the watchdog for this
  // process, so that one late tick does not get the service killed.
  std::optional<std::chrono::microseconds> watchdog_interval() const noexcept {
    return watchdog_interval_;
  }

 private:
  void send(const std::string& message) noexcept;

  bool enabled_ = false;
  std::optional<std::chrono::microseconds> watchdog_interval_;
  // Only the first failure is logged: a vanished socket would otherwise log on
  // every watchdog tick.
  std::atomic<bool> failure_logged_{false};
};

}  // namespace parley
