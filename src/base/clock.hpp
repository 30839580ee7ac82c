// Time as the daemon's logic sees it. Components take a Clock& so that timer
// logic (grace periods, token buckets, expiry sweeps) is tested with a manual
// clock instead of sleeping.
#pragma once

#include <chrono>
#include <cstdint>

namespace parley {

// A duration the configuration gives in (fractional) seconds, as Asio's steady
// timers take it.
inline std::chrono::steady_clock::duration seconds(double value) {
  return std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(value));
}

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic seconds since an arbitrary origin: durations and deadlines.
  virtual double now() const = 0;
  // Seconds since the Unix epoch: token expiry and TURN credentials.
  virtual std::int64_t unix_now() const = 0;
  // Milliseconds since the Unix epoch: event times (webhooks' `at`).
  virtual std::int64_t unix_now_ms() const { return unix_now() * 1000; }
};

class SystemClock final : public Clock {
 public:
  double now() const override {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t unix_now() const override {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  std::int64_t unix_now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told to; for tests.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(double start = 1000.0, std::int64_t unix_start = 1'800'000'000)
      : now_(start), unix_(unix_start) {}
  double now() const override { return now_; }
  std::int64_t unix_now() const override {
    return unix_ + static_cast<std::int64_t>(now_ - start_);
  }
  void advance(double seconds) { now_ += seconds; }

 private:
  double now_;
  double start_ = now_;
  std::int64_t unix_;
};

}  // namespace parley
