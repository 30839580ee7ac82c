#include "rooms/peer_link.hpp"

#include <utility>

#include <boost/asio/post.hpp>

namespace parley {

void PeerLink::open(boost::asio::any_io_executor strand, const std::shared_ptr<PeerLink>& self) {
  if (std::exchange(opened_, true)) return;
  strand_ = std::move(strand);
  self_ = self;
}

void PeerLink::deliver(const Event& event) {
  std::unique_lock lock(mutex_);
  queued_.push_back(event);
  if (!std::exchange(drain_scheduled_, true)) schedule(lock);
}

void PeerLink::schedule(std::unique_lock<std::mutex>& lock) {
  lock.unlock();
  boost::asio::post(strand_, [self = self_.lock()] {
    if (self) self->drain();
  });
}

void PeerLink::drain() {
  std::vector<Event> batch;
  {
    std::lock_guard lock(mutex_);
    drain_scheduled_ = false;
    if (held_ > 0) return;  // release() schedules the next drain
    batch.swap(queued_);
  }
  if (!batch.empty()) handler_.on_events(batch);
}

void PeerLink::hold() {
  ++held_;
}

void PeerLink::release() {
  if (held_ == 0 || --held_ > 0) return;
  std::unique_lock lock(mutex_);
  if (!queued_.empty() && !std::exchange(drain_scheduled_, true)) schedule(lock);
}

void PeerLink::discard() {
  std::lock_guard lock(mutex_);
  queued_.clear();
}

void PeerLink::take_relays(std::vector<SharedMessage>& into) {
  std::lock_guard lock(mutex_);
  for (auto& event : queued_)
    if (auto* relay = std::get_if<RelayEvent>(&event)) into.push_back(std::move(relay->message));
  queued_.clear();
}

std::vector<SharedMessage> PeerLink::take_unsent() {
  std::vector<SharedMessage> unsent = handler_.take_unsent();
  take_relays(unsent);
  return unsent;
}

}  // namespace parley
