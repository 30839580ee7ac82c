// Counts open client sessions, in all and per remote address, so that a
// handshake beyond limits.max_connections or limits.max_connections_per_ip is
// refused before any session state is built.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace parley {

class ConnectionLimiter {
 public:
  // Holds one seat while alive; movable, released on destruction.
  class Slot {
   public:
    Slot() = default;
    Slot(Slot&& other) noexcept : owner_(other.owner_), address_(std::move(other.address_)) {
      other.owner_ = nullptr;
    }
    Slot& operator=(Slot&& other) noexcept;
    ~Slot() { release(); }
    explicit operator bool() const { return owner_ != nullptr; }
    void release();

   private:
    friend class ConnectionLimiter;
    Slot(ConnectionLimiter* owner, std::string address) : owner_(owner), address_(std::move(address)) {}
    ConnectionLimiter* owner_ = nullptr;
    std::string address_;
  };

  // An empty Slot when either limit is reached (a limit of 0 per address: none).
  Slot try_acquire(const std::string& address, std::size_t max_total, std::size_t max_per_address);
  std::size_t open() const;

 private:
  void release(const std::string& address);

  mutable std::mutex mutex_;
  std::size_t total_ = 0;
  std::unordered_map<std::string, std::size_t> per_address_;
};

}  // namespace parley
