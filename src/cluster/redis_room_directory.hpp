// The room directory of a cluster (rooms/room_directory.hpp, its second
// implementation): Redis is the authority for membership, capacity, metadata,
// resume tokens and away peers (the scripts, through ClusterRooms); this node
// keeps its own connections and delivers to them in process. A relayed message
// reaches the sender's room-mates on this node at once, and the others through
// the one `relay` script, which publishes once per other node with receivers
// and keeps what is for away peers (docs/cluster.md "Deliveries and per-sender
// order").
//
// Local state, under one mutex: the peers connected here (with their seat's
// grants, for relay()), the connections here watching rooms, and for each room
// with a peer here a mirror of its members in join order (kept by the join and
// claim replies and by the `joined` / `left` events of the node's channel), so
// that relay() answers at once, as the interface asks.
//
// Completions run on the backplane's command strand; channel events on the
// subscriber's strand. Nothing touches a socket: PeerLink::deliver only queues.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "cluster/cluster_backplane.hpp"
#include "cluster/cluster_rooms.hpp"
#include "rooms/room_directory.hpp"
#include "rooms/room_lifecycle.hpp"

namespace parley {

class RedisRoomDirectory final : public RoomDirectory,
                                 public std::enable_shared_from_this<RedisRoomDirectory> {
 public:
  // Sets the backplane's event and restore handlers: create it before the
  // backplane starts. `lifecycle` (optional, outlives the directory) hears of
  // the room and seat changes this node makes, numbered by Redis (the `hook`
  // events of the node's hooks channel), so each is told once cluster-wide.
  static std::shared_ptr<RedisRoomDirectory> create(std::shared_ptr<ClusterBackplane> backplane,
                                                    const DirectoryLimits& limits,
                                                    RoomLifecycle* lifecycle = nullptr);

  void set_limits(const DirectoryLimits& limits) override;
  Connected connect(std::shared_ptr<PeerLink> link) override;
  void join(const std::string& id, const std::string& room, JoinOptions options,
            JoinDone done) override;
  void update_meta(const std::string& id, nlohmann::json meta, MetaDone done) override;
  void watch(const std::string& id, const std::string& room, WatchDone done) override;
  void unwatch(const std::string& id, const std::string& room,
               std::function<void(bool)> done) override;
  void leave(const std::string& id, LeaveDone done) override;
  RelayStatus relay(const std::string& id, const std::string* to, RelayDraft draft) override;
  void send_server_message(const std::string& room, const std::string* to, std::string data,
                           ServerMessageDone done) override;
  void end(const std::string& id, const PeerLink* link) override;
  void lost(const std::string& id, PeerLink* link) override;
  void resume(const std::string& token, const std::string& provisional_id,
              std::shared_ptr<PeerLink> link, ResumeDone done) override;
  void hand_over(const std::string& id, std::vector<SharedMessage> unsent) override;
  // The cluster's sweep (reap, then expire) runs in the backplane, on every node.
  std::size_t expire() override { return 0; }
  std::optional<double> next_deadline() const override { return std::nullopt; }
  void rooms(std::function<void(std::vector<RoomInfo>)> done) const override;
  void room(const std::string& name,
            std::function<void(std::optional<RoomInfo>)> done) const override;
  void kick_room(const std::string& name, std::function<void(bool)> done) override;
  void kick_peer(const std::string& id, std::function<void(bool)> done) override;
  std::optional<std::string> room_of(const std::string& id) const override;
  DirectoryCounts counts() const override;
  void clear() override;

  // Peers lost here whose hand-over to Redis (seal) has not completed: a
  // drain waits for none before the node leaves the cluster.
  std::size_t hand_overs_pending() const;

  // Relays that crossed no node because the `relay` script failed (Redis
  // unreachable) or refused them (the room changed under the relay): lost for
  // the receivers on other nodes and away. /metrics shows them as
  // parley_cluster_relays_lost_total (render_metrics()).
  std::uint64_t relays_lost() const { return relays_lost_.load(); }
  std::string render_metrics() const;

  // A relayed message crosses nodes and waits in Redis as one JSON text (type,
  // room, sender, shape, the sender's text); public for tests.
  static std::string envelope(const RelayedMessage& message);
  static SharedMessage from_envelope(const std::string& text);

 private:
  struct LocalPeer {
    std::shared_ptr<PeerLink> link;  // null once lost
    std::string token;
    bool resumable = false;
    std::string room;  // "" when in none
    ClusterSeat seat;  // metadata and grants, while seated
    std::int64_t seq = 0;
    std::uint8_t relays = kRelayAll;
    std::vector<std::string> watching;
    // Lost here: what arrives for it until the `seal` marker, oldest first.
    bool sealing = false;
    std::vector<std::string> held;
    // Resumed here from a connection also here: the claim superseded the old
    // one itself, and the `superseded` event on its way is to be ignored.
    bool supersede_spent = false;
    // ...and until the old connection hands over (hand_over), relayed
    // messages for the new one wait here.
    bool awaiting_hand_over = false;
    std::vector<SharedMessage> waiting;
  };

  RedisRoomDirectory(std::shared_ptr<ClusterBackplane> backplane, const DirectoryLimits& limits,
                     RoomLifecycle* lifecycle);
  void on_event(const NodeEvent& event);
  void on_hook(const NodeEvent& event);
  void restore();
  void claim_finished();
  void claim(std::string token, std::string provisional_id, std::shared_ptr<PeerLink> link,
             ResumeDone done, unsigned attempt);
  // Delivers `event` to those of `ids` that are live here, and to this node's
  // watchers of `room` that did not hear it as a member (lock held).
  void tell_locked(const std::string& room, const std::vector<std::string>& ids,
                   const std::string& subject, const Event& event);
  void forget_locked(const std::string& id, bool unseat = true);
  void end_watches_locked(LocalPeer& peer, const std::string& id);
  // Takes back a watch that Redis never recorded (the `watch` script failed).
  void drop_watch(const std::string& id, const std::string& room);
  void unseat_locked(const std::string& room, const std::string& id);
  void deliver_relay_locked(LocalPeer& peer, SharedMessage message);
  bool live_here_locked(const std::string& id) const;

  std::weak_ptr<ClusterBackplane> backplane_;  // owned by the daemon (see ClusterRooms)
  RoomLifecycle* const lifecycle_;
  std::atomic<std::uint64_t> relays_lost_{0};
  std::atomic<bool> relays_failing_{false};  // the last relay script failed: logged once
  mutable ClusterRooms scripts_;

  mutable std::mutex mutex_;
  DirectoryLimits limits_;
  std::unordered_map<std::string, LocalPeer> peers_;
  std::map<std::string, std::vector<std::string>> rooms_;     // room -> members, join order
  std::map<std::string, std::vector<std::string>> watchers_;  // room -> watching peers here
  std::size_t watch_count_ = 0;
  // Channel events for peers not (yet) here, kept while a claim is in flight:
  // a relay published after the claim ran may arrive before its reply.
  std::size_t seals_in_flight_ = 0;
  unsigned claims_in_flight_ = 0;
  std::unordered_map<std::string, std::vector<NodeEvent>> early_;
  // Connections here superseded by a `superseded` event while a claim of this
  // node was in flight: if that claim is theirs (a resume on this node whose
  // event beat its reply), what the old connection hands over goes to the new
  // one first. Kept, as early_, until no claim is in flight.
  // nullopt until the old connection has handed over.
  std::unordered_map<std::string, std::optional<std::vector<SharedMessage>>> superseded_early_;
};

}  // namespace parley
