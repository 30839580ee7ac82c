#include "base/reactor_state_slab.hpp"

#include <cassert>
#include <cstddef>
#include <memory>
#include <mutex>
#include <new>
#include <vector>

namespace parley {

namespace {

// Slots per block: 256 states of ~170 bytes make a block of ~44 KiB, below
// glibc's mmap threshold, allocated once per 256 sockets open at the same time.
constexpr std::size_t kSlotsPerBlock = 256;

struct FreeSlot {
  FreeSlot* next;
};

class Slab {
 public:
  void* take(std::size_t size) {
    std::lock_guard lock(mutex_);
    if (slot_size_ == 0) slot_size_ = round_up(size);
    assert(round_up(size) == slot_size_ && "one slab serves one type");
    if (!free_) add_block();
    FreeSlot* slot = free_;
    free_ = slot->next;
    ++taken_;
    return slot;
  }

  void give_back(void* slot) noexcept {
    std::lock_guard lock(mutex_);
    free_ = new (slot) FreeSlot{free_};
    --taken_;
  }

  std::size_t taken() noexcept {
    std::lock_guard lock(mutex_);
    return taken_;
  }

 private:
  static std::size_t round_up(std::size_t size) {
    constexpr std::size_t align = alignof(std::max_align_t);
    if (size < sizeof(FreeSlot)) size = sizeof(FreeSlot);
    return (size + align - 1) / align * align;
  }

  void add_block() {
    blocks_.reserve(blocks_.size() + 1);
    auto block = std::make_unique_for_overwrite<std::byte[]>(slot_size_ * kSlotsPerBlock);
    // Chained so that the lowest addresses are taken first.
    for (std::size_t i = kSlotsPerBlock; i-- > 0;)
      free_ = new (block.get() + i * slot_size_) FreeSlot{free_};
    blocks_.push_back(std::move(block));
  }

  std::mutex mutex_;
  std::size_t slot_size_ = 0;
  FreeSlot* free_ = nullptr;
  std::size_t taken_ = 0;
  std::vector<std::unique_ptr<std::byte[]>> blocks_;
};

// Never destroyed: a reactor destroyed during static destruction (after this
// would have been) still gives its states back.
Slab& slab() {
  static Slab* const instance = new Slab;
  return *instance;
}

}  // namespace

void* ReactorStateSlab::take(std::size_t size) {
  return slab().take(size);
}

void ReactorStateSlab::give_back(void* slot) noexcept {
  slab().give_back(slot);
}

std::size_t ReactorStateSlab::slots_taken() noexcept {
  return slab().taken();
}

}  // namespace parley
