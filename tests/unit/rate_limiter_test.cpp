#include "policy/rate_limiter.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

using Verdict = RateLimiter::Verdict;

// Sends `count` messages at time `now`; returns how many were accepted.
int accepted_at(RateLimiter& limiter, double now, int count) {
  int accepted = 0;
  for (int i = 0; i < count; ++i) {
    if (limiter.on_message(now) == Verdict::accept) ++accepted;
  }
  return accepted;
}

TEST(RateLimiter, StartsFullWithBurstTokens) {
  RateLimiter limiter(1, 5, 100.0);
  for (int i = 0; i < 5; ++i) EXPECT_EQ(limiter.on_message(100.0), Verdict::accept) << i;
  EXPECT_EQ(limiter.on_message(100.0), Verdict::drop);
}

TEST(RateLimiter, RefillsAtTheRate) {
  RateLimiter limiter(4, 4, 0.0);
  EXPECT_EQ(accepted_at(limiter, 0.0, 4), 4);
  EXPECT_EQ(limiter.on_message(0.0), Verdict::drop);
  EXPECT_EQ(limiter.on_message(0.25), Verdict::accept);  // 4/s: one token per 0.25 s
  EXPECT_EQ(limiter.on_message(0.25), Verdict::drop);
  EXPECT_EQ(accepted_at(limiter, 0.75, 3), 2);
}

TEST(RateLimiter, FractionalRatesAccumulateFractions) {
  RateLimiter limiter(0.5, 2, 0.0);
  EXPECT_EQ(accepted_at(limiter, 0.0, 2), 2);
  EXPECT_EQ(limiter.on_message(1.0), Verdict::drop);  // half a token only
  EXPECT_EQ(limiter.tokens(), 0.5);
  EXPECT_EQ(limiter.on_message(2.0), Verdict::accept);  // the halves add up
  EXPECT_EQ(limiter.on_message(2.0), Verdict::drop);
}

TEST(RateLimiter, RefillIsCappedAtBurst) {
  RateLimiter limiter(10, 3, 0.0);
  EXPECT_EQ(accepted_at(limiter, 0.0, 3), 3);
  EXPECT_EQ(accepted_at(limiter, 1000.0, 10), 3);  // a long pause earns no more than burst
  EXPECT_EQ(limiter.tokens(), 0.0);
}

TEST(RateLimiter, TimeGoingBackwardsChangesNothing) {
  RateLimiter limiter(1, 2, 10.0);
  EXPECT_EQ(accepted_at(limiter, 10.0, 2), 2);
  EXPECT_EQ(limiter.on_message(5.0), Verdict::drop);
  EXPECT_EQ(limiter.tokens(), 0.0);
  EXPECT_EQ(limiter.on_message(11.0), Verdict::accept);
}

TEST(RateLimiter, MoreThanBurstDropsInOneWindowClose) {
  RateLimiter limiter(0, 3, 0.0);  // no refill: every later message drops
  EXPECT_EQ(accepted_at(limiter, 0.0, 3), 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(limiter.on_message(1.0 + i), Verdict::drop) << i;
  EXPECT_EQ(limiter.on_message(9.5), Verdict::close);  // fourth drop, window opened at 1.0
}

TEST(RateLimiter, CloseIsFinal) {
  RateLimiter limiter(100, 1, 0.0);
  EXPECT_EQ(limiter.on_message(0.0), Verdict::accept);
  EXPECT_EQ(limiter.on_message(0.0), Verdict::drop);
  EXPECT_EQ(limiter.on_message(0.0), Verdict::close);
  EXPECT_EQ(limiter.on_message(100.0), Verdict::close);  // even with a full bucket
}

TEST(RateLimiter, WindowResetsAfterTenSeconds) {
  RateLimiter limiter(0, 2, 0.0);
  EXPECT_EQ(accepted_at(limiter, 0.0, 2), 2);
  EXPECT_EQ(limiter.on_message(1.0), Verdict::drop);  // window opens at 1.0
  EXPECT_EQ(limiter.on_message(2.0), Verdict::drop);
  // 11.0 is 10 s after the window opened: a new window starts, counting afresh.
  EXPECT_EQ(limiter.on_message(11.0), Verdict::drop);
  EXPECT_EQ(limiter.on_message(12.0), Verdict::drop);
  EXPECT_EQ(limiter.on_message(20.9), Verdict::close);  // third drop of the window at 11.0
}

TEST(RateLimiter, DropsBetweenAcceptsStillAddUp) {
  RateLimiter limiter(1, 1, 0.0);
  // A client sending twice the allowed rate: every other message drops, and the
  // second drop of the window is more than burst (1).
  EXPECT_EQ(limiter.on_message(0.0), Verdict::accept);
  EXPECT_EQ(limiter.on_message(0.5), Verdict::drop);
  EXPECT_EQ(limiter.on_message(1.0), Verdict::accept);
  EXPECT_EQ(limiter.on_message(1.5), Verdict::close);
}

TEST(RateLimiter, HonestOvershootWithinBurstDoesNotClose) {
  RateLimiter limiter(1, 4, 0.0);
  EXPECT_EQ(accepted_at(limiter, 0.0, 8), 4);  // 4 drops: exactly burst, not more
  EXPECT_EQ(limiter.on_message(4.0), Verdict::accept);
  EXPECT_EQ(limiter.on_message(20.0), Verdict::accept);
}

TEST(RateLimiter, ReconfigureCapsTokensAndChangesRate) {
  RateLimiter limiter(1, 10, 0.0);
  limiter.reconfigure(2, 3);
  EXPECT_EQ(limiter.tokens(), 3.0);
  EXPECT_EQ(accepted_at(limiter, 0.0, 3), 3);
  EXPECT_EQ(limiter.on_message(0.5), Verdict::accept);  // 2/s: one token per 0.5 s
  EXPECT_EQ(limiter.on_message(0.5), Verdict::drop);
  limiter.reconfigure(1, 100);
  EXPECT_EQ(accepted_at(limiter, 10.5, 20), 10);  // a larger burst fills at the new rate
}

}  // namespace
}  // namespace parley
