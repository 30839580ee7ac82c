// A peer's connection as the room directory sees it: one concrete inbox per
// connection, the same for every dialect. The directory pushes events into it
// from any thread (a lock and a push: no virtual call, nothing touches a
// socket); the inbox posts one drain per batch to the session's strand, which
// hands the whole batch to the session's handler at once.
//
// Ordering: events reach the handler in the order the directory delivered
// them. While the session holds the inbox (a join or resume whose completion
// it has not handled yet), events wait in it; release() lets them out after
// whatever the completion sent.
#pragma once

#include <memory>
#include <mutex>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "rooms/drain_memory.hpp"
#include "rooms/events.hpp"

namespace parley {

class PeerLink {
 public:
  // What a session implements to receive from its inbox.
  class Handler {
   public:
    // One batch, oldest first, on the session's strand.
    virtual void on_events(std::vector<Event>& batch) = 0;
    // The connection was lost: the relayed messages queued for the client but
    // not yet written, oldest first (the inbox adds what it still holds). On
    // the session's strand, with the directory's lock held.
    virtual std::vector<SharedMessage> take_unsent() = 0;
    // Another connection resumed this peer: hand what was not written to the
    // directory (RoomDirectory::hand_over, once, from the session's strand),
    // then close without another word to the directory. Any thread, with the
    // directory's lock held: only schedule.
    virtual void superseded() = 0;

   protected:
    ~Handler() = default;
  };

  // `resumable`: the peer may come back within the grace period (its dialect
  // has resume); otherwise a lost connection ends it at once.
  PeerLink(Handler& handler, bool resumable) : handler_(handler), resumable_(resumable) {}
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  // Before the directory knows the link: the strand drains run on, and the
  // owner whose lifetime the posted drains extend (the session; the pointer
  // may alias it). Later calls change nothing.
  void open(boost::asio::any_io_executor strand, const std::shared_ptr<PeerLink>& self);

  bool resumable() const { return resumable_; }
  // The session's strand (set by open()).
  const boost::asio::any_io_executor& strand() const { return strand_; }

  // Any thread (the directory, its lock held).
  void deliver(const Event& event);
  // The session's strand: hold events back while a join or resume is pending;
  // release() hands on what arrived meanwhile. Holds nest.
  void hold();
  void release();
  // Drops what is queued and the inbox's buffer (the peer left the directory,
  // the connection stays; or it closed).
  void discard();
  // Moves the relayed messages still queued, oldest first, to the end of `into`
  // and drops the rest (a connection that is gone or taken over).
  void take_relays(std::vector<SharedMessage>& into);

  // Called by the directory, its lock held.
  std::vector<SharedMessage> take_unsent();
  void superseded() { handler_.superseded(); }

 private:
  // The most events a drained buffer may hold to be kept for the next batch.
  static constexpr std::size_t kKeptBatchCapacity = 16;

  void schedule(std::unique_lock<std::mutex>& lock);
  void drain();

  // Ordered so that the small members share one word: a link lives in every session.
  Handler& handler_;
  boost::asio::any_io_executor strand_;
  std::weak_ptr<PeerLink> self_;
  std::mutex mutex_;
  std::vector<Event> queued_;
  // Made at the first post: a link that never receives anything has none.
  std::shared_ptr<DrainMemory> drain_memory_;
  unsigned held_ = 0;  // strand only
  bool drain_scheduled_ = false;
  const bool resumable_;
  bool opened_ = false;
};

}  // namespace parley
