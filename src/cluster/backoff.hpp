// Delays between reconnection attempts: doubling from `initial` up to `most`,
// each drawn at random from its upper half, so that nodes that lost Redis at the
// same moment do not all come back at the same moment.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>

namespace parley {

class Backoff {
 public:
  Backoff(double initial, double most, std::uint64_t seed)
      : initial_(initial), most_(std::max(initial, most)), current_(initial), random_(seed) {}

  // Seconds to wait before the next attempt.
  double next() {
    const double ceiling = current_;
    current_ = std::min(most_, current_ * 2);
    return std::uniform_real_distribution<double>(ceiling / 2, ceiling)(random_);
  }
  // After a success: the next failure waits `initial` again.
  void reset() { current_ = initial_; }

 private:
  double initial_;
  double most_;
  double current_;
  std::mt19937_64 random_;
};

}  // namespace parley
