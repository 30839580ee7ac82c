#include "net/connection_lease.hpp"

#include <utility>

namespace parley {

ConnectionLease::ConnectionLease(NetContext& context, ConnectionLimiter::Slot seat)
    : context_(&context), seat_(std::move(seat)) {
  context_->live_sockets.fetch_add(1, std::memory_order_relaxed);
}

ConnectionLease::ConnectionLease(ConnectionLease&& other) noexcept
    : context_(std::exchange(other.context_, nullptr)),
      seat_(std::move(other.seat_)),
      tracker_key_(other.tracker_key_),
      tracked_(std::exchange(other.tracked_, false)),
      gauged_(std::exchange(other.gauged_, false)) {}

ConnectionLease& ConnectionLease::operator=(ConnectionLease&& other) noexcept {
  if (this != &other) {
    release();
    context_ = std::exchange(other.context_, nullptr);
    seat_ = std::move(other.seat_);
    tracker_key_ = other.tracker_key_;
    tracked_ = std::exchange(other.tracked_, false);
    gauged_ = std::exchange(other.gauged_, false);
  }
  return *this;
}

void ConnectionLease::open(std::weak_ptr<Closable> session, Count count) {
  if (!context_ || tracked_) return;
  tracker_key_ = context_->sessions.add(std::move(session));
  tracked_ = true;
  if (count == Count::none) return;
  gauged_ = true;
  context_->counters.connections.fetch_add(1, std::memory_order_relaxed);
  if (count == Count::new_connection)
    context_->counters.connections_total.fetch_add(1, std::memory_order_relaxed);
}

void ConnectionLease::give_back_seat() {
  seat_.release();
  if (std::exchange(gauged_, false))
    context_->counters.connections.fetch_sub(1, std::memory_order_relaxed);
}

void ConnectionLease::end_session() {
  if (std::exchange(tracked_, false)) context_->sessions.remove(tracker_key_);
  give_back_seat();
}

void ConnectionLease::release() {
  end_session();
  if (auto* context = std::exchange(context_, nullptr))
    context->live_sockets.fetch_sub(1, std::memory_order_relaxed);
}

}  // namespace parley
