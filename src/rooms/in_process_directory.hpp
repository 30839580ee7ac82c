// The room directory of a single node: every peer, room and resume token in
// this process, behind one mutex. Deliveries happen under that mutex but only
// enqueue (PeerLink::deliver never touches a socket), which is what makes "no
// message lost across a resume" provable: a message is either in a live
// session's inbox, or in the away peer's kept buffer, never in between. Every
// completion runs inline, on the caller's thread, after the lock is released.
#pragma once

#include <mutex>
#include <unordered_map>
#include <unordered_set>

#include "base/clock.hpp"
#include "rooms/room_directory.hpp"
#include "rooms/room_lifecycle.hpp"

namespace parley {

class InProcessDirectory final : public RoomDirectory {
 public:
  // `lifecycle` (optional, outlives the directory) hears of every room and
  // seat change, under the directory's lock (rooms/room_lifecycle.hpp).
  InProcessDirectory(const Clock& clock, DirectoryLimits limits,
                     RoomLifecycle* lifecycle = nullptr);
  InProcessDirectory(const InProcessDirectory&) = delete;
  InProcessDirectory& operator=(const InProcessDirectory&) = delete;

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
  std::size_t expire() override;
  std::optional<double> next_deadline() const override;
  void rooms(std::function<void(std::vector<RoomInfo>)> done) const override;
  void room(const std::string& name,
            std::function<void(std::optional<RoomInfo>)> done) const override;
  void kick_room(const std::string& name, std::function<void(bool)> done) override;
  void kick_peer(const std::string& id, std::function<void(bool)> done) override;
  std::optional<std::string> room_of(const std::string& id) const override;
  DirectoryCounts counts() const override;
  void clear() override;

 private:
  struct Peer {
    std::string id;
    std::string resume_token;
    std::shared_ptr<PeerLink> link;  // null while away
    bool resumable = false;
    std::string room;                 // empty: in no room
    double away_deadline = 0;         // when away
    std::vector<SharedMessage> kept;  // oldest first (a deque costs memory even empty)
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

  JoinResult join_locked(const std::string& id, const std::string& room, JoinOptions& options);
  MetaResult update_meta_locked(const std::string& id, nlohmann::json& meta);
  WatchResult watch_locked(const std::string& id, const std::string& room);
  bool unwatch_locked(const std::string& id, const std::string& room);
  std::optional<std::string> leave_locked(const std::string& id);
  std::optional<Resumed> resume_locked(const std::string& token, const std::string& provisional_id,
                                       std::shared_ptr<PeerLink>& link);
  std::optional<RoomInfo> room_locked(const std::string& name) const;
  bool kick_room_locked(const std::string& name);
  bool kick_peer_locked(const std::string& id);

  void remove_from_room_locked(Peer& peer, LeaveReason reason, bool tell_peer, bool tell_others);
  void erase_peer_locked(const std::string& id);
  void deliver_locked(Peer& peer, const Event& event);
  void keep_locked(Peer& peer, SharedMessage message);
  std::vector<std::string> others_locked(const Room& room, const std::string& id) const;
  nlohmann::json meta_of_locked(const std::vector<std::string>& ids) const;
  // Delivers a presence event of `room` about `subject` to the room's watchers,
  // except those that got it as members already (when `members_told`).
  void tell_watchers_locked(const std::string& room, const std::string& subject, const Event& event,
                            bool members_told);
  void end_watches_locked(Peer& peer);

  const Clock& clock_;
  RoomLifecycle* const lifecycle_;
  mutable std::mutex mutex_;
  DirectoryLimits limits_;
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
