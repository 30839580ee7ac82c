// The room directory: which peers exist, which room each is in, and who
// receives what. Sessions, the admin API and the server hold this interface,
// never an implementation: the in-process one (in_process_directory.hpp)
// serves one node, a Redis one serves a cluster.
//
// Completions. The operations that ask the shared state (join, update_meta,
// watch, unwatch, leave, resume, the admin queries and kicks) answer through a
// callback. The in-process directory calls it inline, on the caller's thread,
// before the call returns; another implementation may call it later, from any
// thread. A session therefore re-enters its strand for the completion
// (boost::asio::dispatch: inline when it is there already) and holds its inbox
// (PeerLink::hold) from a join or resume until its completion has been handled.
// relay, end, lost and hand_over return at once: what they need is known
// locally.
//
// Ordering: the answer to a join (or resume) reaches the client before any
// event the directory delivers to that peer after the join took effect (those
// wait in the held inbox). A sender's relayed messages reach each receiver in
// the order they were relayed.
//
// Peer life cycle:  connected --lost--> away --resume--> connected
//                        |                |
//                        +--end--> gone   +--grace over--> gone (peer-left
//                        timeout)
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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rooms/events.hpp"
#include "rooms/peer_link.hpp"

namespace parley {

// The bytes kept for an away peer (and handed over in a takeover): half the
// send queue limit, so that right after a resume the whole buffer, `resumed`
// and the first live messages fit in the new connection's send queue together.
// A full buffer cannot trip 1013 on its own; only a client that then stops
// reading can.
constexpr std::size_t resume_buffer_bytes_for(std::size_t max_send_queue_bytes) {
  return max_send_queue_bytes / 2;
}

// Directory settings that a configuration reload may change.
struct DirectoryLimits {
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

// What a join brings besides the room: the peer's metadata and its token's
// grants.
struct JoinOptions {
  nlohmann::json meta = nlohmann::json::object();
  bool meta_pinned = false;              // set by the token: update_meta is forbidden
  std::optional<std::size_t> max_peers;  // the room's capacity, when this join creates it
  std::uint8_t relays = kRelayAll;       // relay types the peer may send (RelayBits)
};

// What the metrics read.
struct DirectoryCounts {
  std::size_t rooms = 0;
  std::size_t seated = 0;     // peers holding a seat in a room (away ones included)
  std::size_t connected = 0;  // peers known at all (any room or none, away included)
  std::size_t watches = 0;    // watches of every connection
};

class RoomDirectory {
 public:
  virtual ~RoomDirectory() = default;

  virtual void set_limits(const DirectoryLimits& limits) = 0;

  struct Connected {
    std::string id;
    std::string resume_token;  // empty when the link is not resumable
  };
  // A new connection: a fresh peer in no room. `link` is open (PeerLink::open).
  virtual Connected connect(std::shared_ptr<PeerLink> link) = 0;

  // `unavailable`: the directory cannot decide now (the cluster's Redis is
  // unreachable); nothing changed, the client may try again.
  enum class JoinStatus { joined, full, room_limit, already_in_room, no_such_peer, unavailable };
  struct JoinResult {
    JoinStatus status;
    std::vector<std::string> peers;                  // the others, in join order (when joined)
    nlohmann::json meta = nlohmann::json::object();  // their metadata, by id
  };
  using JoinDone = std::function<void(JoinResult)>;
  // Joins `room`, creating it if needed (with capacity `options.max_peers`,
  // else the configured one). The others and the room's watchers get
  // PeerJoinedEvent.
  virtual void join(const std::string& id, const std::string& room, JoinOptions options,
                    JoinDone done) = 0;

  // `unavailable` here and for watch: as for join, the cluster's Redis is
  // unreachable and nothing changed (an answer made from this node's partial
  // view would tell the client something false).
  enum class MetaStatus { updated, not_in_room, forbidden, unavailable };
  struct MetaResult {
    MetaStatus status;
    std::string room;  // when updated
  };
  using MetaDone = std::function<void(MetaResult)>;
  // Replaces the peer's metadata; the others and the watchers get
  // PeerUpdatedEvent. `forbidden` when its join token pinned the metadata.
  virtual void update_meta(const std::string& id, nlohmann::json meta, MetaDone done) = 0;

  enum class WatchStatus { watching, watch_limit, no_such_peer, unavailable };
  struct WatchResult {
    WatchStatus status;
    std::vector<std::string> peers;  // the room's peers in join order (none: no such room)
    nlohmann::json meta = nlohmann::json::object();
  };
  using WatchDone = std::function<void(WatchResult)>;
  // Starts (or, for a room already watched, repeats) a watch of `room` by the
  // connection of peer `id`: it gets the room's presence events from now on.
  virtual void watch(const std::string& id, const std::string& room, WatchDone done) = 0;
  // Ends a watch; false when `id` did not watch `room`.
  virtual void unwatch(const std::string& id, const std::string& room,
                       std::function<void(bool)> done) = 0;

  // Leaves the current room (the others get PeerLeftEvent `leave`): the room
  // left, or nothing when the peer was in none.
  using LeaveDone = std::function<void(std::optional<std::string> room)>;
  virtual void leave(const std::string& id, LeaveDone done) = 0;

  enum class RelayStatus { ok, not_in_room, forbidden, unknown_peer };
  // Relays to every other peer of the sender's room, or to `to` only;
  // `forbidden` when the sender's join token does not grant `draft.type`.
  // The draft's views need to hold only until relay() returns: it copies them.
  virtual RelayStatus relay(const std::string& id, const std::string* to, RelayDraft draft) = 0;

  // A message from the application (the admin API's server messages,
  // integration-v1.md) to every peer of `room`, or to `to` only: a
  // RelayedMessage of shape `server` (no sender) on the path of a relay, so an
  // away peer keeps it for its resume, in order with relayed messages; each
  // dialect encodes it once. Watchers get nothing. `data` is compact JSON.
  enum class ServerMessageStatus { delivered, no_such_room, no_such_peer, unavailable };
  struct ServerMessageResult {
    ServerMessageStatus status;
    std::size_t receivers = 0;  // peers it went to (away ones included), cluster-wide
  };
  using ServerMessageDone = std::function<void(ServerMessageResult)>;
  virtual void send_server_message(const std::string& room, const std::string* to, std::string data,
                                   ServerMessageDone done) = 0;

  // The session ended at once (close frame, leave-and-close, server close
  // code): the others get PeerLeftEvent `disconnect` and the seat is freed.
  // No-op when `link` no longer owns the peer (a resume took it over).
  virtual void end(const std::string& id, const PeerLink* link) = 0;

  // The connection was lost without a close frame. A resumable peer keeps its
  // id and seat for the grace period, and messages for it are kept (starting
  // with what `link` had not written); any other ends at once (`disconnect`;
  // `timeout` for a resumable one when resume is off). No-op when `link` no
  // longer owns the peer.
  virtual void lost(const std::string& id, PeerLink* link) = 0;

  struct Resumed {
    std::string id;
    std::optional<std::string> room;
    std::vector<std::string> peers;                  // the others in the room, join order
    nlohmann::json meta = nlohmann::json::object();  // their metadata, by id
    std::string resume_token;                        // the next token
    std::vector<SharedMessage> kept;                 // kept messages, oldest first
  };
  using ResumeDone = std::function<void(std::optional<Resumed>)>;
  // Takes over the peer that `token` belongs to. `provisional_id` is the peer
  // the new connection was given at connect; it is discarded on success. A
  // live previous connection is told superseded(). Nothing on failure.
  virtual void resume(const std::string& token, const std::string& provisional_id,
                      std::shared_ptr<PeerLink> link, ResumeDone done) = 0;

  // A connection that a resume took over (superseded()) hands back the relayed
  // messages it had not written, oldest first. Until every superseded link of
  // the peer has done so, relayed messages for the peer wait in its kept
  // buffer, so that the new connection gets the old one's messages first, then
  // the rest, each once and in order, under the kept buffer's limits.
  virtual void hand_over(const std::string& id, std::vector<SharedMessage> unsent) = 0;

  // Ends every away peer whose grace is over (the others get `timeout`);
  // returns how many ended. Called periodically by the server.
  virtual std::size_t expire() = 0;
  // Seconds until the next grace deadline, if any peer is away.
  virtual std::optional<double> next_deadline() const = 0;

  // Admin operations.
  virtual void rooms(std::function<void(std::vector<RoomInfo>)> done) const = 0;
  virtual void room(const std::string& name,
                    std::function<void(std::optional<RoomInfo>)> done) const = 0;
  // Every peer gets RemovedEvent `kicked`; false when there is no such room.
  virtual void kick_room(const std::string& name, std::function<void(bool)> done) = 0;
  // It gets RemovedEvent, the others PeerLeft `kicked`; false when not in a
  // room.
  virtual void kick_peer(const std::string& id, std::function<void(bool)> done) = 0;

  // The room of a peer connected to this node (local knowledge).
  virtual std::optional<std::string> room_of(const std::string& id) const = 0;
  virtual DirectoryCounts counts() const = 0;

  // Forgets every peer and room at once, telling nobody; for the server's
  // teardown, so no session outlives the event loop it was bound to.
  virtual void clear() = 0;
};

}  // namespace parley
