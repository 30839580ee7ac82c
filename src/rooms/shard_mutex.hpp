// The lock of one shard of the in-process room directory, with the figures
// that tell whether sharding works: how often it was taken, how often a taker
// found it held and had to wait, and how long it is held (one hold in 64 timed
// with the steady clock; a hold of 100 us or more is a preemption, counted
// apart). A contention figure measured here is what the
// benchmark (bench/directory_scaling.cpp) extrapolates to more cores.
//
// The cost on the relay path is a try_lock instead of a lock, an increment and
// a mask test while the lock is held; the clock is read for one hold in 64.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

namespace parley {

struct LockStats {
  std::uint64_t acquired = 0;   // times taken
  std::uint64_t waited = 0;     // times a taker found it held (it then blocked)
  std::uint64_t timed = 0;      // holds timed
  std::uint64_t timed_ns = 0;   // their total length
  std::uint64_t preempted = 0;  // timed holds of 100 us or more, left out of timed_ns
  LockStats& operator+=(const LockStats& other) {
    acquired += other.acquired;
    waited += other.waited;
    timed += other.timed;
    timed_ns += other.timed_ns;
    preempted += other.preempted;
    return *this;
  }
};

class ShardMutex {
 public:
  void lock() {
    if (!mutex_.try_lock()) {
      // Only a contended acquisition writes this shared counter.
      waited_.fetch_add(1, std::memory_order_relaxed);
      mutex_.lock();
    }
    if ((++acquired_ & kTimeOneIn) == 0) {
      timing_ = true;
      since_ = std::chrono::steady_clock::now();
    }
  }
  void unlock() {
    if (timing_) {
      timing_ = false;
      const auto held = std::chrono::steady_clock::now() - since_;
      // A hold this long is the holder's thread being preempted (another
      // process had the core), not the directory's work: counted apart.
      if (held < kPreempted) {
        timed_ns_ += static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(held).count());
        ++timed_;
      } else {
        ++preempted_;
      }
    }
    mutex_.unlock();
  }

  // Takes the lock to read (that acquisition is counted too).
  LockStats stats() {
    std::lock_guard lock(*this);
    return {acquired_, waited_.load(std::memory_order_relaxed), timed_, timed_ns_, preempted_};
  }

 private:
  static constexpr std::uint64_t kTimeOneIn = 63;  // a mask: one hold in 64
  static constexpr auto kPreempted = std::chrono::microseconds(100);

  std::mutex mutex_;
  std::atomic<std::uint64_t> waited_{0};
  // Under mutex_.
  std::uint64_t acquired_ = 0;
  std::uint64_t timed_ = 0;
  std::uint64_t timed_ns_ = 0;
  std::uint64_t preempted_ = 0;
  bool timing_ = false;
  std::chrono::steady_clock::time_point since_;
};

}  // namespace parley
