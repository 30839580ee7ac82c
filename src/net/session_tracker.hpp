// The sessions a drain closes: every open session of either dialect is listed
// here (through its ConnectionLease) until it ends.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace parley {

// Something the server can ask to go away on shutdown (from any thread).
class Closable {
 public:
  virtual ~Closable() = default;
  // Close with `code` (1001 going away; 1012 service restart in a cluster).
  virtual void shutdown(unsigned short code) = 0;
};

class SessionTracker {
 public:
  std::uint64_t add(std::weak_ptr<Closable> session);
  void remove(std::uint64_t key);
  std::size_t size() const;
  void shutdown_all(unsigned short code);

 private:
  mutable std::mutex mutex_;
  std::uint64_t next_ = 0;
  std::unordered_map<std::uint64_t, std::weak_ptr<Closable>> sessions_;
};

}  // namespace parley
