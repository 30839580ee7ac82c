#include "net/session_tracker.hpp"

#include <vector>

namespace parley {

std::uint64_t SessionTracker::add(std::weak_ptr<Closable> session) {
  std::lock_guard lock(mutex_);
  sessions_.emplace(next_, std::move(session));
  return next_++;
}

void SessionTracker::remove(std::uint64_t key) {
  std::lock_guard lock(mutex_);
  sessions_.erase(key);
}

std::size_t SessionTracker::size() const {
  std::lock_guard lock(mutex_);
  return sessions_.size();
}

void SessionTracker::shutdown_all(unsigned short code) {
  std::vector<std::shared_ptr<Closable>> live;
  {
    std::lock_guard lock(mutex_);
    for (auto& [key, weak] : sessions_)
      if (auto s = weak.lock()) live.push_back(std::move(s));
  }
  // Outside the lock: a session closing removes itself from the tracker.
  for (auto& s : live) s->shutdown(code);
}

}  // namespace parley
