// The memory of the one drain a PeerLink has posted at a time. Asio allocates
// two operations to post to a strand (the queued handler and, when the strand
// was idle, the strand's own turn on the event loop) and frees both before the
// handler runs. Its per-thread cache keeps two blocks of each kind: a sender
// that relays to N receivers posts N drains in a row and would allocate for
// nearly every one. With this memory a link's posts allocate nothing.
//
// Shared (std::shared_ptr) by the allocator copies inside Asio's operations,
// so that memory an operation still holds outlives the link if it must (an
// event loop destroyed with work queued). A link holds one only while it
// relays (PeerLink::drain), so idle sessions pay nothing for it.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <new>

namespace parley {

class DrainMemory {
 public:
  void* allocate(std::size_t size) {
    if (size <= kSlotBytes)
      for (auto& slot : slots_) {
        bool used = false;
        if (slot.used.compare_exchange_strong(used, true, std::memory_order_acquire))
          return slot.bytes;
      }
    return ::operator new(size);  // larger than expected, or both slots taken
  }
  void deallocate(void* p) {
    for (auto& slot : slots_)
      if (p == slot.bytes) {
        slot.used.store(false, std::memory_order_release);
        return;
      }
    ::operator delete(p);
  }

 private:
  // Fits both operations of a drain's post on x86-64 and aarch64, with room.
  static constexpr std::size_t kSlotBytes = 192;
  struct Slot {
    alignas(std::max_align_t) unsigned char bytes[kSlotBytes];
    std::atomic<bool> used{false};
  };
  std::array<Slot, 2> slots_;
};

// The allocator Asio is given (bound to the drain handler) to use a DrainMemory.
template <class T>
class DrainAllocator {
 public:
  using value_type = T;

  explicit DrainAllocator(std::shared_ptr<DrainMemory> memory) : memory_(std::move(memory)) {}
  template <class U>
  DrainAllocator(const DrainAllocator<U>& other) noexcept : memory_(other.memory_) {}

  T* allocate(std::size_t n) { return static_cast<T*>(memory_->allocate(n * sizeof(T))); }
  void deallocate(T* p, std::size_t) noexcept { memory_->deallocate(p); }

  template <class U>
  bool operator==(const DrainAllocator<U>& other) const noexcept {
    return memory_ == other.memory_;
  }
  template <class U>
  bool operator!=(const DrainAllocator<U>& other) const noexcept {
    return memory_ != other.memory_;
  }

 private:
  template <class U>
  friend class DrainAllocator;
  std::shared_ptr<DrainMemory> memory_;
};

}  // namespace parley
