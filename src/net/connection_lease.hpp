// A client connection's share of the server's books, in one piece for both
// dialects: its seat in the connection limiter (limits.max_connections and
// max_connections_per_ip), its entry in the session tracker (what a drain asks
// to shut down), its count in the parley_connections gauge (and once in
// parley_connections_total), and its count among the live sockets (what a
// drain waits for). Whoever holds the connection holds its lease: the
// WebSocket transport, or for socket.io the Engine.IO session (its polling
// requests have no socket of their own).
//
// Each part is given back exactly once: by end_session() or release() when the
// session ends, or else on destruction. Movable; not thread-safe (a lease is
// used on its connection's strand).
#pragma once

#include <cstdint>
#include <memory>

#include "net/connection_limiter.hpp"
#include "net/net_context.hpp"
#include "net/session_tracker.hpp"

namespace parley {

class ConnectionLease {
 public:
  // How an opened session shows in the metrics.
  enum class Count {
    none,            // not at all: another lease counts it (a socket.io session on a
                     // WebSocket from the start is counted by its transport)
    open,            // in parley_connections only (the WebSocket of a socket.io
                     // upgrade continues a session counted when it opened)
    new_connection,  // in parley_connections and parley_connections_total
  };

  ConnectionLease() = default;  // holds nothing
  // Takes `seat` (empty when another lease holds the connection's seat) and
  // counts one live socket.
  ConnectionLease(NetContext& context, ConnectionLimiter::Slot seat);
  ConnectionLease(ConnectionLease&& other) noexcept;
  ConnectionLease& operator=(ConnectionLease&& other) noexcept;
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;
  ~ConnectionLease() { release(); }

  // The session has opened (a WebSocket handshake, an Engine.IO handshake):
  // it goes into the session tracker, and is counted as `count` says. Once.
  void open(std::weak_ptr<Closable> session, Count count);
  // In the session tracker: opened, and neither ended nor released since.
  bool opened() const { return tracked_; }
  // The seat and the gauge count move to another lease (an Engine.IO session
  // upgraded to a WebSocket, whose transport holds its own): they are given
  // back; the tracker entry and the live socket stay.
  void give_back_seat();
  // The session has ended but its socket may stay a while (a close
  // handshake): gives back the seat, the tracker entry and the gauge count;
  // the live socket stays until release().
  void end_session();
  // Gives back whatever is still held.
  void release();

 private:
  NetContext* context_ = nullptr;  // null once released (or never taken)
  ConnectionLimiter::Slot seat_;
  std::uint64_t tracker_key_ = 0;
  bool tracked_ = false;  // in context_->sessions under tracker_key_
  bool gauged_ = false;   // counted in parley_connections
};

}  // namespace parley
