#include "rooms/peer_link.hpp"

#include <algorithm>
#include <utility>

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

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
  if (!drain_memory_) drain_memory_ = std::make_shared<DrainMemory>();
  DrainAllocator<void> allocator(drain_memory_);
  lock.unlock();
  auto drain = [self = self_.lock()] {
    if (self) self->drain();
  };
  // Every session's strand is a strand of the io_context; seen as that type,
  // Asio takes the allocator for both of the post's operations (through the
  // type-erased executor it would take its own).
  using IoStrand = boost::asio::strand<boost::asio::io_context::executor_type>;
  if (const auto* strand = strand_.target<IoStrand>())
    boost::asio::post(*strand, boost::asio::bind_allocator(allocator, std::move(drain)));
  else
    boost::asio::post(strand_, std::move(drain));
}

void PeerLink::drain() {
  std::vector<Event> batch;  // destroyed after the lock below is released
  {
    std::lock_guard lock(mutex_);
    drain_scheduled_ = false;
    if (held_ > 0) return;  // release() schedules the next drain
    batch.swap(queued_);
  }
  if (batch.empty()) return;
  const bool relaying = std::any_of(batch.begin(), batch.end(), [](const Event& event) {
    return std::holds_alternative<RelayEvent>(event);
  });
  handler_.on_events(batch);
  batch.clear();
  // A link that relays keeps its batch buffer and drain memory, so that each
  // delivery allocates nothing; one that only hears presence events (an idle
  // peer in a room) keeps neither. A burst's large buffer is not kept either,
  // nor one that a newer batch replaced meanwhile. discard() frees the buffer.
  std::lock_guard lock(mutex_);
  if (!relaying) {
    drain_memory_.reset();
    return;
  }
  if (batch.capacity() <= kKeptBatchCapacity && queued_.capacity() == 0) queued_.swap(batch);
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
  std::vector<Event> dropped;  // destroyed outside the lock
  std::lock_guard lock(mutex_);
  dropped.swap(queued_);
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
