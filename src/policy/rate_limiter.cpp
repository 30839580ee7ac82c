#include "policy/rate_limiter.hpp"

#include <algorithm>

namespace parley {

RateLimiter::RateLimiter(double messages_per_second, std::uint64_t burst, double now_seconds)
    : rate_(messages_per_second),
      burst_(static_cast<double>(burst)),
      tokens_(static_cast<double>(burst)),
      last_refill_(now_seconds) {}

RateLimiter::Verdict RateLimiter::on_message(double now_seconds) {
  if (closed_) return Verdict::close;
  refill(now_seconds);
  if (tokens_ >= 1.0) {
    tokens_ -= 1.0;
    return Verdict::accept;
  }
  return on_drop(now_seconds);
}

void RateLimiter::reconfigure(double messages_per_second, std::uint64_t burst) {
  rate_ = messages_per_second;
  burst_ = static_cast<double>(burst);
  tokens_ = std::min(tokens_, burst_);
}

void RateLimiter::refill(double now_seconds) {
  // A clock that steps back (or two threads' timestamps out of order) must
  // not drain the bucket.
  if (now_seconds <= last_refill_) return;
  tokens_ = std::min(burst_, tokens_ + (now_seconds - last_refill_) * rate_);
  last_refill_ = now_seconds;
}

RateLimiter::Verdict RateLimiter::on_drop(double now_seconds) {
  if (!window_open_ || now_seconds - window_start_ >= kAbuseWindowSeconds) {
    window_open_ = true;
    window_start_ = now_seconds;
    drops_in_window_ = 0;
  }
  ++drops_in_window_;
  // A burst's worth of drops is what an honest client that overshoots once can
  // produce; more than that inside one window is abuse.
  if (static_cast<double>(drops_in_window_) > burst_) {
    closed_ = true;
    return Verdict::close;
  }
  return Verdict::drop;
}

}  // namespace parley
