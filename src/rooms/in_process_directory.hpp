// The room directory of a single node: every peer, room and resume token in
// this process, in shards that each have their own lock, so that threads
// working on different rooms take no common lock (docs/architecture.md,
// "Room directory shards").
//
// A room lives in the shard its name hashes to; a peer's record (seat,
// metadata, link, kept messages) is guarded by the lock of the shard that owns
// it: the shard of the room it last joined, or the one its id hashes to before
// any join. So a room and all its members are under one lock, and a relay, a
// join or a leave is decided and delivered under it. Each shard also indexes
// the peers whose id and the resume tokens that hash to it.
//
// The one rule: never hold two shard locks at once. An operation that needs two
// shards (find a peer by id, then its owner; move a peer to the shard of the
// room it joins; end a peer's watches of rooms elsewhere) takes them one after
// the other, and re-checks what it found once it holds the next one.
//
// Deliveries happen under the owner's lock but only enqueue (PeerLink::deliver
// never touches a socket), which is what makes "no message lost across a
// resume" provable: a message is either in a live session's inbox, or in the
// away peer's kept buffer, never in between. Every completion runs inline, on
// the caller's thread, after the locks are released.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <unordered_set>

#include "base/clock.hpp"
#include "rooms/room_directory.hpp"
#include "rooms/room_lifecycle.hpp"
#include "rooms/shard_mutex.hpp"

namespace parley {

class InProcessDirectory final : public RoomDirectory {
 public:
  // Enough shards that, with a thread per core up to 64 cores, two threads
  // rarely want the same one (docs/benchmarks.md, "Room directory scaling").
  static constexpr std::size_t kDefaultShards = 256;

  // `lifecycle` (optional, outlives the directory) hears of every room and
  // seat change, under the lock of the room's shard (rooms/room_lifecycle.hpp).
  // `shards` = 1 is the single-lock directory (for the benchmark's "before").
  InProcessDirectory(const Clock& clock, DirectoryLimits limits, RoomLifecycle* lifecycle = nullptr,
                     std::size_t shards = kDefaultShards);
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

  std::size_t shard_count() const { return shard_count_; }
  // Every shard lock's figures, summed (read one shard at a time).
  LockStats lock_stats() const;

 private:
  static constexpr std::uint32_t kGone = UINT32_MAX;  // the owner of a peer that has ended

  struct Peer : std::enable_shared_from_this<Peer> {
    std::string id;
    bool resumable = false;
    // The shard whose lock guards every field below; it changes only under
    // that lock. kGone once the peer has ended (its index entry may linger
    // for a moment; a lookup that finds it sees no peer).
    std::atomic<std::uint32_t> owner{0};
    std::string resume_token;
    std::shared_ptr<PeerLink> link;   // null while away
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
    std::vector<Peer*> peers;  // join order; owned by this room's shard while seated
    std::int64_t created_unix = 0;
    std::optional<std::size_t> capacity;  // from the creator's token; else the configured one
  };
  // A connection watching a room. The link is kept here, so that presence
  // events reach it under the room's shard lock alone.
  struct Watcher {
    std::string id;
    std::shared_ptr<PeerLink> link;
  };
  // Aligned to a cache line: one shard's lock traffic does not slow its
  // neighbour's.
  struct alignas(64) Shard {
    mutable ShardMutex mutex;
    DirectoryLimits limits;  // a copy per shard: read without another lock
    std::unordered_map<std::string, Room> rooms;
    // Room name -> the connections watching it, in watch order. Kept apart
    // from rooms: a watch neither creates a room nor keeps one alive.
    std::unordered_map<std::string, std::vector<Watcher>> watchers;
    std::size_t watches = 0;
    std::size_t seated = 0;                                         // seats in this shard's rooms
    std::unordered_map<std::string, std::shared_ptr<Peer>> index;   // by id
    std::unordered_map<std::string, std::shared_ptr<Peer>> tokens;  // by resume token
    std::unordered_set<Peer*> away;                                 // away peers this shard owns
  };
  // A peer with its owner's lock held; empty when there is no such peer.
  struct Owned {
    std::shared_ptr<Peer> keep;  // declared first: outlives the lock
    std::unique_lock<ShardMutex> lock;
    Shard* shard = nullptr;
    explicit operator bool() const { return shard != nullptr; }
    Peer& peer() const { return *keep; }
  };
  // What is left to do when a peer has ended, once its owner's lock is
  // released: its index entry, its token and its watches are in other shards.
  struct Retired {
    std::shared_ptr<Peer> keep;
    std::string token;
    std::shared_ptr<PeerLink> link;
    std::vector<std::string> watching;
  };

  std::uint32_t shard_of(std::string_view key) const;
  Shard& shard_for(std::string_view key) const { return shards_[shard_of(key)]; }
  std::uint32_t index_of(const Shard& shard) const {
    return static_cast<std::uint32_t>(&shard - shards_.get());
  }
  Owned own(const std::string& id) const;
  Owned own(std::shared_ptr<Peer> peer) const;
  // Hands the (unseated) peer to shard `target`; empty when it ended meanwhile.
  Owned move_to(Owned owned, std::uint32_t target);

  JoinResult seat_locked(Shard& shard, Peer& peer, const std::string& room, JoinOptions& options);
  void remove_from_room_locked(Shard& shard, Peer& peer, LeaveReason reason, bool tell_peer,
                               bool tell_others);
  Retired retire_locked(Owned& owned);
  void finish(Retired retired);
  void deliver_locked(const Shard& shard, Peer& peer, const Event& event);
  static void keep_locked(const DirectoryLimits& limits, Peer& peer, SharedMessage message);
  // Delivers a presence event of `room` about `subject` to the room's watchers,
  // except those that got it as members already (when `members_told`).
  void tell_watchers_locked(Shard& shard, const std::string& room, const std::string& subject,
                            const Event& event, bool members_told);
  // Ends the watches of `rooms` by connection `link` of peer `id`.
  void end_watches(const std::string& id, const std::shared_ptr<PeerLink>& link,
                   const std::vector<std::string>& rooms);
  // Whether connection `link` of peer `id` still has `room` among its watches.
  bool still_watching(const std::string& id, const std::shared_ptr<PeerLink>& link,
                      const std::string& room) const;
  bool reserve_room(std::size_t max_rooms);

  const Clock& clock_;
  RoomLifecycle* const lifecycle_;
  const std::size_t shard_count_;
  const std::unique_ptr<Shard[]> shards_;
  // Rooms in every shard: an atomic, so that the room limit holds exactly
  // without a common lock (touched when a room is created or destroyed).
  std::atomic<std::size_t> rooms_{0};
};

}  // namespace parley
