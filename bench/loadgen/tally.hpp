// A counter that worker threads bump and the main thread can wait on until it
// reaches a target, without a notification per increment.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace loadgen {

class Tally {
 public:
  void add(std::uint64_t n = 1) {
    const auto before = value_.fetch_add(n, std::memory_order_acq_rel);
    const auto target = target_.load(std::memory_order_acquire);
    if (before < target && before + n >= target) {
      std::lock_guard lock(mutex_);
      reached_.notify_all();
    }
  }

  std::uint64_t value() const { return value_.load(std::memory_order_acquire); }

  // True when the counter reached `target` before `timeout` ran out.
  template <class Duration>
  bool wait_for(std::uint64_t target, Duration timeout) {
    std::unique_lock lock(mutex_);
    target_.store(target, std::memory_order_release);
    return reached_.wait_for(lock, timeout, [&] { return value() >= target; });
  }

 private:
  std::atomic<std::uint64_t> value_{0};
  std::atomic<std::uint64_t> target_{UINT64_MAX};
  std::mutex mutex_;
  std::condition_variable reached_;
};

}  // namespace loadgen
