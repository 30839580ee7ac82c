// The per-connection token bucket of protocol-v1 "Rate limit", plus the
// "sustained abuse" rule that closes a connection with 1008. Time is passed in
// (seconds, any monotonic origin), so the class never reads a clock.
#pragma once

#include <cstdint>

namespace parley {

class RateLimiter {
 public:
  // Sustained abuse: more than `burst` drops within one window of this length
  // (the window opens at the first drop after the previous one ended).
  static constexpr double kAbuseWindowSeconds = 10.0;

  // The bucket starts full: `burst` tokens.
  RateLimiter(double messages_per_second, std::uint64_t burst, double now_seconds);

  enum class Verdict {
    accept,  // a token was taken: handle the message
    drop,    // less than one token: drop the message, answer `rate-limited`
    close,   // sustained abuse: close the connection with 1008
  };

  // Charges one client data message. Once `close` has been returned, every
  // later call returns `close` too (the connection is going away).
  Verdict on_message(double now_seconds);

  // New limits (configuration reload). The tokens held are kept, capped at the
  // new burst; the time since the last message is refilled at the new rate.
  void reconfigure(double messages_per_second, std::uint64_t burst);

  double tokens() const { return tokens_; }

 private:
  void refill(double now_seconds);
  Verdict on_drop(double now_seconds);

  double rate_;
  double burst_;
  double tokens_;
  double last_refill_;
  bool window_open_ = false;
  double window_start_ = 0;
  std::uint64_t drops_in_window_ = 0;
  bool closed_ = false;
};

}  // namespace parley
