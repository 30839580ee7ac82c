// The room registry: which peers exist, which room each is in, and who receives
// what. It is the only shared state of the daemon; sessions reach each other only
// through it. Thread-safe (one mutex). Deliveries to peers happen under that
// mutex but only enqueue (PeerLink::deliver never touches a socket), which is what
// makes "no message lost across a resume" provable: a message is either in a
// live session's inbox, or in the lost peer's kept buffer, never in between.
//
// Peer life cycle:  connected --lost--> away --resume--> connected
//                        |                |
//                        +--end--> gone   +--grace over--> gone (peer-left timeout)
//
// A seat carries the peer's metadata and the grants of its join token (which
// relay types it may send, whether its metadata is pinned); both live as long
// as the seat, across a resume. A connection may also watch rooms: it then gets
// their presence events (never their relays) without a seat; watches end with
// the connection (lost included).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/clock.hpp"
#include "rooms/events.hpp"

namespace parley {

// A peer's connection as the registry sees it; implemented by the sessions of
// both dialects. All three calls are made with the registry's mutex held, so they
// must be quick and must not call back into the registry.
class PeerLink {
 public:
  virtual ~PeerLink() = default;
  // Queue `event` for the client. Called from any thread.
  virtual void deliver(const Event& event) = 0;
  // The connection was lost: hand back the relayed messages that were queued but
  // not yet written, oldest first, so they are kept for a resume. Called on the
  // link's own strand (from inside RoomRegistry::lost, which the link calls).
  virtual std::vector<SharedText> take_unsent() = 0;
  // Another connection resumed this peer: hand what was not yet written to the
  // registry (RoomRegistry::hand_over, exactly once, from the link's strand),
  // then close without another word to the registry. Called under its lock.
  virtual void superseded() = 0;
};

// The bytes kept for an away peer (and handed over in a takeover): half the send
// queue limit, so that right after a resume the whole buffer, `resumed` and the
// first live messages fit in the new connection's send queue together. A full
// buffer cannot trip 1013 on its own; only a client that then stops reading can.
constexpr std::size_t resume_buffer_bytes_for(std::size_t max_send_queue_bytes) {
  return max_send_queue_bytes / 2;
}

// Registry settings that a configuration reload may change.
struct RegistryLimits {
  std::size_t max_peers_per_room = 2;
  std::size_t max_rooms = 100000;
  double resume_grace = 15;  // seconds; 0 turns resume off
  std::size_t resume_buffer_messages = 64;
  std::size_t resume_buffer_bytes = resume_buffer_bytes_for(1048576);
  std::size_t max_watches = 8;  // rooms one connection may watch
};

struct RoomInfo {
  std::string name;
  std::vector<std::string> peers;  // join order
  std::int64_t created_unix = 0;
  nlohmann::json meta = nlohmann::json::object();  // peer id -> metadata, for each of `peers`
};

// What a join brings besides the room: the peer's metadata and its token's grants.
struct JoinOptions {
  nlohmann::json meta = nlohmann::json::object();
  bool meta_pinned = false;              // set by the token: update_meta is forbidden
  std::optional<std::size_t> max_peers;  // the room's capacity, when this join creates it
  std::uint8_t relays = kRelayAll;       // relay types the peer may send (RelayBits)
};

class RoomRegistry {
 public:
  RoomRegistry(const Clock& clock, RegistryLimits limits);
  RoomRegistry(const RoomRegistry&) = delete;
  RoomRegistry& operator=(const RoomRegistry&) = delete;

  void set_limits(const RegistryLimits& limits);

  struct Connected {
    std::string id;
    std::string resume_token;  // empty for dialects without resume
  };
  // A new connection: a fresh peer in no room.
  Connected connect(std::shared_ptr<PeerLink> link, Dialect dialect);

  enum class JoinStatus { joined, full, room_limit, already_in_room, no_such_peer };
  struct JoinResult {
    JoinStatus status;
    std::vector<std::string> peers;                  // the others, in join order (when joined)
    nlohmann::json meta = nlohmann::json::object();  // their metadata, by id
  };
  // Joins `room`, creating it if needed (with capacity `options.max_peers`, else
  // the configured one). The others and the room's watchers get PeerJoinedEvent.
  JoinResult join(const std::string& id, const std::string& room, JoinOptions options = {});

  enum class MetaStatus { updated, not_in_room, forbidden };
  struct MetaResult {
    MetaStatus status;
    std::string room;  // when updated
  };
  // Replaces the peer's metadata; the others and the watchers get PeerUpdatedEvent.
  // `forbidden` when its join token pinned the metadata.
  MetaResult update_meta(const std::string& id, nlohmann::json meta);

  enum class WatchStatus { watching, watch_limit, no_such_peer };
  struct WatchResult {
    WatchStatus status;
    std::vector<std::string> peers;  // the room's peers in join order (none: no such room)
    nlohmann::json meta = nlohmann::json::object();
  };
  // Starts (or, for a room already watched, repeats) a watch of `room` by the
  // connection of peer `id`: it gets the room's presence events from now on.
  WatchResult watch(const std::string& id, const std::string& room);
  // Ends a watch; false when `id` did not watch `room`.
  bool unwatch(const std::string& id, const std::string& room);

  // Leaves the current room (the others get PeerLeftEvent `leave`); returns the
  // room left, or nothing when the peer was in none.
  std::optional<std::string> leave(const std::string& id);

  enum class RelayStatus { ok, not_in_room, forbidden, unknown_peer };
  struct RelayMessage {
    std::string type;
    SharedText native;
    // Builds the socket.io packet; called at most once, only when a receiver
    // speaks socket.io. `room` is the sender's room.
    std::function<SharedText(const std::string& room)> socketio;
  };
  // Relays to every other peer of the sender's room, or to `to` only; `forbidden`
  // when the sender's join token does not grant `message.type`.
  RelayStatus relay(const std::string& id, const std::string* to, const RelayMessage& message);

  // The session ended at once (close frame, leave-and-close, server close code):
  // the others get PeerLeftEvent `disconnect` and the seat is freed. No-op when
  // `link` no longer owns the peer (it was superseded by a resume).
  void end(const std::string& id, const PeerLink* link);

  // The connection was lost without a close frame: the peer keeps its id and seat
  // for the grace period, and messages for it are kept (starting with what `link`
  // had queued but not written). No-op when `link` no longer owns the peer.
  void lost(const std::string& id, PeerLink* link);

  struct Resumed {
    std::string id;
    std::optional<std::string> room;
    std::vector<std::string> peers;                  // the others in the room, join order
    nlohmann::json meta = nlohmann::json::object();  // their metadata, by id
    std::string resume_token;                        // the next token
    std::vector<SharedText> kept;                    // kept messages, oldest first
  };
  // Takes over the peer that `token` belongs to. `provisional_id` is the peer the
  // new connection was given at connect; it is discarded on success. A live
  // previous connection is told superseded(). Nothing on failure.
  std::optional<Resumed> resume(const std::string& token, const std::string& provisional_id,
                                std::shared_ptr<PeerLink> link);

  // A connection that a resume took over (superseded()) hands back the relayed
  // messages it had not written, oldest first. Until every superseded link of the
  // peer has done so, relayed messages for the peer wait in its kept buffer, so
  // that the new connection gets the old one's messages first, then the rest,
  // each once and in order. Both go out under the kept buffer's limits.
  void hand_over(const std::string& id, std::vector<SharedText> unsent);

  // Ends every away peer whose grace is over (the others get `timeout`).
  // Returns how many ended. Called periodically by the server.
  std::size_t expire();
  // Seconds until the next grace deadline, if any peer is away.
  std::optional<double> next_deadline() const;

  // Admin operations.
  std::vector<RoomInfo> rooms() const;
  std::optional<RoomInfo> room(const std::string& name) const;
  bool kick_room(const std::string& name);  // every peer gets RemovedEvent `kicked`
  bool kick_peer(const std::string& id);    // it gets RemovedEvent, the others PeerLeft `kicked`

  // Forgets every peer and room at once, telling nobody; for the server's
  // teardown, so no session outlives the event loop it was bound to.
  void clear();

  std::size_t room_count() const;
  std::size_t peer_count() const;       // peers holding a seat in a room
  std::size_t connected_count() const;  // peers known at all (any room or none)
  std::size_t watch_count() const;      // watches of every connection
  std::optional<std::string> room_of(const std::string& id) const;

 private:
  struct Peer {
    std::string id;
    std::string resume_token;
    Dialect dialect = Dialect::native;
    std::shared_ptr<PeerLink> link;  // null while away
    std::string room;                // empty: in no room
    double away_deadline = 0;        // when away
    std::vector<SharedText> kept;    // oldest first (a deque costs memory even empty)
    std::size_t kept_bytes = 0;
    // The seat's metadata and grants (meaningful while `room` is set).
    nlohmann::json meta = nlohmann::json::object();
    bool meta_pinned = false;
    std::uint8_t relays = kRelayAll;
    std::vector<std::string> watching;  // rooms this connection watches
    // Superseded links that have not handed their unsent messages over yet.
    unsigned handovers_pending = 0;
  };
  struct Room {
    std::vector<std::string> peers;  // join order
    std::int64_t created_unix = 0;
    std::optional<std::size_t> capacity;  // from the creator's token; else the configured one
  };

  void remove_from_room_locked(Peer& peer, LeaveReason reason, bool tell_peer, bool tell_others);
  void erase_peer_locked(const std::string& id);
  void deliver_locked(Peer& peer, const Event& event);
  void keep_locked(Peer& peer, SharedText text);
  std::vector<std::string> others_locked(const Room& room, const std::string& id) const;
  nlohmann::json meta_of_locked(const std::vector<std::string>& ids) const;
  // Delivers a presence event of `room` about `subject` to the room's watchers,
  // except those that got it as members already (when `members_told`).
  void tell_watchers_locked(const std::string& room, const std::string& subject, const Event& event,
                            bool members_told);
  void end_watches_locked(Peer& peer);

  const Clock& clock_;
  mutable std::mutex mutex_;
  RegistryLimits limits_;
  std::unordered_map<std::string, Peer> peers_;
  std::unordered_map<std::string, Room> rooms_;
  std::unordered_map<std::string, std::string> tokens_;  // resume token -> peer id
  std::unordered_set<std::string> away_;                 // peers in their grace period
  // Room name -> the peers whose connections watch it, in watch order. Kept
  // apart from rooms_: a watch neither creates a room nor keeps one alive.
  std::unordered_map<std::string, std::vector<std::string>> watchers_;
  std::size_t watch_count_ = 0;
  std::size_t seated_ = 0;
};

}  // namespace parley
