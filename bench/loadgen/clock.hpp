// One monotonic clock for the whole load generator: send timestamps and
// receive times are compared inside one process, so steady_clock nanoseconds
// are enough and cost no system call beyond the vDSO.
#pragma once

#include <chrono>
#include <cstdint>

namespace loadgen {

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace loadgen
