// The in-process directory's admin operations, counts and teardown. Those that
// see every room visit the shards one at a time: a listing is not a snapshot
// of one instant, but it never stops the whole directory.
#include <algorithm>

#include "rooms/in_process_directory.hpp"

namespace parley {

namespace {

RoomInfo info_of(const std::string& name, const auto& room) {
  RoomInfo info{name, {}, room.created_unix, nlohmann::json::object()};
  info.peers.reserve(room.peers.size());
  for (const auto* peer : room.peers) {
    info.peers.push_back(peer->id);
    info.meta[peer->id] = peer->meta;
  }
  return info;
}

}  // namespace

void InProcessDirectory::rooms(std::function<void(std::vector<RoomInfo>)> done) const {
  std::vector<RoomInfo> result;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    for (const auto& [name, room] : shards_[i].rooms) result.push_back(info_of(name, room));
  }
  std::sort(result.begin(), result.end(),
            [](const RoomInfo& a, const RoomInfo& b) { return a.name < b.name; });
  done(std::move(result));
}

void InProcessDirectory::room(const std::string& name,
                              std::function<void(std::optional<RoomInfo>)> done) const {
  std::optional<RoomInfo> result;
  {
    Shard& shard = shard_for(name);
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.rooms.find(name); it != shard.rooms.end())
      result = info_of(name, it->second);
  }
  done(std::move(result));
}

void InProcessDirectory::kick_room(const std::string& name, std::function<void(bool)> done) {
  bool found = false;
  {
    Shard& shard = shard_for(name);
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.rooms.find(name); it != shard.rooms.end()) {
      found = true;
      const std::vector<Peer*> members = it->second.peers;
      // Everyone goes, so nobody is told of the others leaving: each gets only
      // `left`. The room's shard owns all of them.
      for (Peer* peer : members)
        remove_from_room_locked(shard, *peer, LeaveReason::kicked, true, false);
    }
  }
  done(found);
}

void InProcessDirectory::kick_peer(const std::string& id, std::function<void(bool)> done) {
  bool kicked = false;
  if (Owned owned = own(id); owned && !owned.peer().room.empty()) {
    remove_from_room_locked(*owned.shard, owned.peer(), LeaveReason::kicked, true, true);
    kicked = true;
  }
  done(kicked);
}

DirectoryCounts InProcessDirectory::counts() const {
  DirectoryCounts counts;
  counts.rooms = rooms_.load(std::memory_order_relaxed);
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    counts.seated += shards_[i].seated;
    counts.connected += shards_[i].index.size();
    counts.watches += shards_[i].watches;
  }
  return counts;
}

LockStats InProcessDirectory::lock_stats() const {
  LockStats total;
  for (std::size_t i = 0; i < shard_count_; ++i) total += shards_[i].mutex.stats();
  return total;
}

void InProcessDirectory::clear() {
  // First every peer is marked gone (so no operation finds it any more), then
  // the shards are emptied; the peers, their links (sessions) and the rooms
  // are released here, outside the locks.
  std::vector<std::shared_ptr<Peer>> peers;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    for (auto& [id, peer] : shards_[i].index) peers.push_back(std::move(peer));
    shards_[i].index.clear();
  }
  std::vector<std::shared_ptr<PeerLink>> links;
  for (const auto& peer : peers) {
    if (Owned owned = own(peer)) {
      peer->owner.store(kGone, std::memory_order_release);
      links.push_back(std::move(peer->link));
    }
  }
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard emptied;
    {
      std::lock_guard lock(shards_[i].mutex);
      emptied.rooms.swap(shards_[i].rooms);
      emptied.watchers.swap(shards_[i].watchers);
      emptied.tokens.swap(shards_[i].tokens);
      shards_[i].away.clear();
      shards_[i].watches = 0;
      shards_[i].seated = 0;
    }
  }
  rooms_.store(0, std::memory_order_relaxed);
}

}  // namespace parley
