// Typed calls of the cluster's room scripts (docs/cluster.md "The scripts"):
// each builds a script's arguments for this node and decodes its reply into a
// struct, so the Redis RoomDirectory deals in peers, rooms and outcomes, never
// in RESP arrays. Nothing here keeps state or decides anything.
//
// Every callback runs exactly once, on the backplane's command strand. A reply
// that is an error (Redis unreachable, a script error) or not of the script's
// shape arrives as `failed` / an empty optional with the reason logged: the
// caller decides what a failed step means for its session.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cluster/cluster_backplane.hpp"

namespace parley {

// A peer of a room as Redis holds it: its node ("" when it is away) and its
// metadata (JSON text as its node gave it; "{}" when none).
struct ClusterMember {
  std::string id;
  std::string node;
  std::string meta = "{}";
  bool operator==(const ClusterMember&) const = default;
};

// What a seat carries besides the room (kept across a resume on another node).
struct ClusterSeat {
  std::string meta = "{}";              // JSON text
  bool pinned = false;                  // the metadata may not change
  std::string relays;                   // the relay types the peer may send (the node's encoding)
  std::optional<std::size_t> capacity;  // the room's own limit, if this join creates it
};

struct ClusterJoin {
  enum class Status { joined, full, room_limit, already_in_room, no_such_peer, failed };
  Status status = Status::failed;
  std::int64_t seq = 0;               // the joiner's join sequence number
  std::vector<ClusterMember> others;  // the room's other peers in join order
};

struct ClusterLeave {
  bool failed = false;
  std::string room;                      // "" when the peer was in no room
  std::vector<ClusterMember> remaining;  // the room's peers left, in join order
};

struct ClusterRelay {
  enum class Status { ok, not_in_room, unknown_peer, no_room, failed };
  Status status = Status::failed;
  std::vector<std::string> here;  // receivers on this node (delivered in process)
  std::size_t receivers = 0;      // every receiver, this node's included
};

struct ClusterClaim {
  enum class Status { resumed, failed, wait, retry, error };
  Status status = Status::error;
  std::string id;
  std::string room;                   // "" when in no room
  std::vector<ClusterMember> others;  // the room's other peers, join order
  std::vector<std::string> kept;      // kept message texts, oldest first
  ClusterSeat seat;                   // the resumed peer's own (capacity unset)
};

struct ClusterMeta {
  enum class Status { updated, not_in_room, forbidden, failed };
  Status status = Status::failed;
  std::string room;
  std::vector<ClusterMember> members;  // the room's peers, join order (meta not read)
};

struct ClusterRoom {
  std::string name;
  std::int64_t created_unix = 0;
  std::vector<std::string> peers;  // join order
  std::vector<std::string> metas;  // each peer's metadata (JSON text)
};

// A peer this node registers again after Redis lost it (`restore`).
struct ClusterRestoredPeer {
  std::string id;
  std::string token;
  bool resumable = false;
  std::string room;  // "" when in no room
  std::int64_t seq = 0;
  ClusterSeat seat;
};

class ClusterRooms {
 public:
  explicit ClusterRooms(std::shared_ptr<ClusterBackplane> backplane);

  const std::string& node_id() const { return node_id_; }

  // Registers a new peer on this node; false when the id or token is taken
  // (draw again) or Redis failed (`ok` false).
  void connect(const std::string& id, const std::string& token, bool resumable,
               std::function<void(bool ok, bool registered)> done);
  void join(const std::string& id, const std::string& room, std::size_t max_peers,
            std::size_t max_rooms, const ClusterSeat& seat, std::function<void(ClusterJoin)> done);
  void update_meta(const std::string& id, const std::string& meta,
                   std::function<void(ClusterMeta)> done);
  // This node has (`on`) or no longer has a connection watching `room`; with
  // `on`, the room's peers in join order with their metadata (node not read).
  void watch(const std::string& room, bool on,
             std::function<void(bool ok, std::vector<ClusterMember>)> done);
  // `reason`: leave or kicked (an admin of any node; the peer's own node is told).
  void leave(const std::string& id, const std::string& reason,
             std::function<void(ClusterLeave)> done);
  // The peer is gone for good; `reason` is what its room-mates hear.
  void end(const std::string& id, const std::string& reason,
           std::function<void(ClusterLeave)> done);
  // The peer's connection here was lost: away for `grace` seconds. False when
  // it was not live here (or Redis failed).
  void lost(const std::string& id, double grace, std::function<void(bool)> done);
  // Hands over what this node held for its lost peer (oldest first).
  void seal(const std::string& id, std::size_t most, std::vector<std::string> held,
            std::function<void(bool)> done);
  // `to` empty: the whole room. `text` is stored and published as it is.
  void relay(const std::string& from, const std::string& to, std::size_t most,
             const std::string& type, const std::string& text,
             std::function<void(ClusterRelay)> done);
  // A server message (no sender) to `room`, or to its peer `to` only; as relay.
  void send_to_room(const std::string& room, const std::string& to, std::size_t most,
                    const std::string& text, std::function<void(ClusterRelay)> done);
  void claim(const std::string& token, const std::string& new_token,
             const std::string& provisional_id, std::function<void(ClusterClaim)> done);
  void room(const std::string& name, std::function<void(bool ok, std::optional<ClusterRoom>)> done);
  void rooms(std::function<void(bool ok, std::vector<ClusterRoom>)> done);
  // The cluster's room count and seated peers (away ones included).
  void counts(std::function<void(bool ok, std::size_t rooms, std::size_t seated)> done);
  // The ids another node holds meanwhile (the caller ends those sessions).
  void restore(const std::vector<ClusterRestoredPeer>& peers,
               std::function<void(bool ok, std::vector<std::string> conflicts)> done);

 private:
  void run(const std::string& script, std::vector<std::string> args,
           RedisConnection::Callback callback);

  // Not owned: the daemon stops and drops its backplane before its event loop
  // goes, whoever still holds the directory (calls then fail at once).
  std::weak_ptr<ClusterBackplane> backplane_;
  std::string node_id_;
};

}  // namespace parley
