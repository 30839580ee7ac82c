#include "net/connection_limiter.hpp"

namespace parley {

ConnectionLimiter::Slot& ConnectionLimiter::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    release();
    owner_ = other.owner_;
    address_ = std::move(other.address_);
    other.owner_ = nullptr;
  }
  return *this;
}

void ConnectionLimiter::Slot::release() {
  if (owner_) owner_->release(address_);
  owner_ = nullptr;
}

ConnectionLimiter::Slot ConnectionLimiter::try_acquire(const std::string& address,
                                                       std::size_t max_total,
                                                       std::size_t max_per_address) {
  std::lock_guard lock(mutex_);
  if (total_ >= max_total) return {};
  auto& count = per_address_[address];
  if (max_per_address != 0 && count >= max_per_address) {
    if (count == 0) per_address_.erase(address);
    return {};
  }
  ++count;
  ++total_;
  return Slot(this, address);
}

void ConnectionLimiter::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  --total_;
  auto it = per_address_.find(address);
  if (it != per_address_.end() && --it->second == 0) per_address_.erase(it);
}

std::size_t ConnectionLimiter::open() const {
  std::lock_guard lock(mutex_);
  return total_;
}

}  // namespace parley
