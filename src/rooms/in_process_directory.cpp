// The in-process directory's shards, peer lookups, seats and relays. The away
// peers (lost, resume, expiry) are in in_process_away.cpp, the admin
// operations and counts in in_process_admin.cpp.
#include "rooms/in_process_directory.hpp"

#include <algorithm>
#include <cassert>
#include <functional>

#include <spdlog/spdlog.h>

#include "base/ids.hpp"

namespace parley {

InProcessDirectory::InProcessDirectory(const Clock& clock, DirectoryLimits limits,
                                       RoomLifecycle* lifecycle, std::size_t shards)
    : clock_(clock),
      lifecycle_(lifecycle),
      shard_count_(std::max<std::size_t>(shards, 1)),
      shards_(std::make_unique<Shard[]>(shard_count_)) {
  for (std::size_t i = 0; i < shard_count_; ++i) shards_[i].limits = limits;
}

std::uint32_t InProcessDirectory::shard_of(std::string_view key) const {
  return static_cast<std::uint32_t>(std::hash<std::string_view>{}(key) % shard_count_);
}

InProcessDirectory::Owned InProcessDirectory::own(const std::string& id) const {
  Shard& home = shard_for(id);
  std::unique_lock lock(home.mutex);
  auto it = home.index.find(id);
  if (it == home.index.end()) return {};
  std::shared_ptr<Peer> peer = it->second;
  // Most peers are owned where they are indexed until they join a room: then
  // one lock is enough.
  if (peer->owner.load(std::memory_order_relaxed) == index_of(home))
    return {std::move(peer), std::move(lock), &home};
  lock.unlock();
  return own(std::move(peer));
}

InProcessDirectory::Owned InProcessDirectory::own(std::shared_ptr<Peer> peer) const {
  for (;;) {
    const std::uint32_t owner = peer->owner.load(std::memory_order_acquire);
    if (owner == kGone) return {};
    Shard& shard = shards_[owner];
    std::unique_lock lock(shard.mutex);
    // It may have moved between the load and the lock: then try its new owner.
    if (peer->owner.load(std::memory_order_acquire) == owner)
      return {std::move(peer), std::move(lock), &shard};
  }
}

InProcessDirectory::Owned InProcessDirectory::move_to(Owned owned, std::uint32_t target) {
  Peer& peer = owned.peer();
  // An away peer is in its owner's away set; it joins the new owner's below.
  owned.shard->away.erase(&peer);
  // From this store on the new owner's lock guards the peer; whoever takes it
  // first finds a consistent, unseated peer.
  peer.owner.store(target, std::memory_order_release);
  owned.lock.unlock();
  Owned moved = own(std::move(owned.keep));
  if (moved && !moved.peer().link) moved.shard->away.insert(&moved.peer());
  return moved;
}

bool InProcessDirectory::reserve_room(std::size_t max_rooms) {
  if (rooms_.fetch_add(1, std::memory_order_relaxed) < max_rooms) return true;
  rooms_.fetch_sub(1, std::memory_order_relaxed);
  return false;
}

void InProcessDirectory::set_limits(const DirectoryLimits& limits) {
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    shards_[i].limits = limits;
  }
}

InProcessDirectory::Connected InProcessDirectory::connect(std::shared_ptr<PeerLink> link) {
  assert(link);
  const bool resumable = link->resumable();
  Connected result{random_peer_id(), resumable ? random_resume_token() : std::string()};
  auto peer = std::make_shared<Peer>();
  peer->id = result.id;
  peer->resumable = resumable;
  peer->resume_token = result.resume_token;
  peer->link = std::move(link);
  // Nobody knows the id nor the token before this returns: the index and the
  // token entry need not appear together.
  Shard& home = shard_for(result.id);
  peer->owner.store(index_of(home), std::memory_order_relaxed);
  {
    std::lock_guard lock(home.mutex);
    home.index.emplace(result.id, peer);
  }
  if (!result.resume_token.empty()) {
    Shard& tokens = shard_for(result.resume_token);
    std::lock_guard lock(tokens.mutex);
    tokens.tokens.emplace(result.resume_token, std::move(peer));
  }
  return result;
}

void InProcessDirectory::tell_watchers_locked(Shard& shard, const std::string& room,
                                              const std::string& subject, const Event& event,
                                              bool members_told) {
  auto it = shard.watchers.find(room);
  if (it == shard.watchers.end()) return;
  const Room* members = nullptr;
  if (members_told)
    if (auto room_it = shard.rooms.find(room); room_it != shard.rooms.end())
      members = &room_it->second;
  for (const auto& watcher : it->second) {
    if (!watcher.link) continue;  // watched while away: presence is not kept
    // A watcher that is in the room heard it as a member; once is enough.
    if (members && watcher.id != subject &&
        std::any_of(members->peers.begin(), members->peers.end(),
                    [&](const Peer* p) { return p->id == watcher.id; }))
      continue;
    watcher.link->deliver(event);
  }
}

void InProcessDirectory::end_watches(const std::string& id, const std::shared_ptr<PeerLink>& link,
                                     const std::vector<std::string>& rooms) {
  for (const auto& room : rooms) {
    Shard& shard = shard_for(room);
    std::lock_guard lock(shard.mutex);
    auto it = shard.watchers.find(room);
    if (it == shard.watchers.end()) continue;
    shard.watches -=
        std::erase_if(it->second, [&](const Watcher& w) { return w.id == id && w.link == link; });
    if (it->second.empty()) shard.watchers.erase(it);
  }
}

namespace {

std::vector<std::string> ids_except(const auto& peers, const std::string* except) {
  std::vector<std::string> ids;
  ids.reserve(peers.size());
  for (const auto* p : peers)
    if (!except || p->id != *except) ids.push_back(p->id);
  return ids;
}

nlohmann::json meta_of(const auto& peers, const std::string* except) {
  nlohmann::json meta = nlohmann::json::object();
  for (const auto* p : peers)
    if (!except || p->id != *except) meta[p->id] = p->meta;
  return meta;
}

}  // namespace

void InProcessDirectory::join(const std::string& id, const std::string& room, JoinOptions options,
                              JoinDone done) {
  JoinResult result{JoinStatus::no_such_peer, {}};
  const std::uint32_t target = shard_of(room);
  Owned owned = own(id);
  if (owned && owned.peer().room.empty() && index_of(*owned.shard) != target)
    owned = move_to(std::move(owned), target);
  if (owned) {
    result = owned.peer().room.empty() ? seat_locked(*owned.shard, owned.peer(), room, options)
                                       : JoinResult{JoinStatus::already_in_room, {}};
  }
  owned = {};
  done(std::move(result));
}

InProcessDirectory::JoinResult InProcessDirectory::seat_locked(Shard& shard, Peer& peer,
                                                               const std::string& room_name,
                                                               JoinOptions& options) {
  auto room_it = shard.rooms.find(room_name);
  if (room_it == shard.rooms.end()) {
    if (!reserve_room(shard.limits.max_rooms)) return {JoinStatus::room_limit, {}};
    room_it = shard.rooms.emplace(room_name, Room{{}, clock_.unix_now(), options.max_peers}).first;
    spdlog::debug("room created ({} rooms)", rooms_.load(std::memory_order_relaxed));
    if (lifecycle_) lifecycle_->room_started(room_name, 0);
  } else if (room_it->second.peers.size() >=
             room_it->second.capacity.value_or(shard.limits.max_peers_per_room)) {
    return {JoinStatus::full, {}};
  }
  Room& room = room_it->second;
  JoinResult result{JoinStatus::joined, ids_except(room.peers, nullptr),
                    meta_of(room.peers, nullptr)};
  peer.meta = std::move(options.meta);
  peer.meta_pinned = options.meta_pinned;
  peer.relays = options.relays;
  const Event joined = PeerJoinedEvent{room_name, peer.id, peer.meta};
  for (Peer* other : room.peers) deliver_locked(shard, *other, joined);
  room.peers.push_back(&peer);
  peer.room = room_name;
  ++shard.seated;
  tell_watchers_locked(shard, room_name, peer.id, joined, true);
  if (lifecycle_) lifecycle_->peer_joined(room_name, peer.id, peer.meta, 0);
  return result;
}

void InProcessDirectory::update_meta(const std::string& id, nlohmann::json meta, MetaDone done) {
  MetaResult result{MetaStatus::not_in_room, {}};
  if (Owned owned = own(id); owned && !owned.peer().room.empty()) {
    Peer& peer = owned.peer();
    if (peer.meta_pinned) {
      result.status = MetaStatus::forbidden;
    } else {
      Shard& shard = *owned.shard;
      peer.meta = std::move(meta);
      const Event updated = PeerUpdatedEvent{peer.room, id, peer.meta};
      for (Peer* other : shard.rooms.at(peer.room).peers)
        if (other != &peer) deliver_locked(shard, *other, updated);
      tell_watchers_locked(shard, peer.room, id, updated, true);
      if (lifecycle_) lifecycle_->peer_updated(peer.room, id, peer.meta, 0);
      result = {MetaStatus::updated, peer.room};
    }
  }
  done(std::move(result));
}

void InProcessDirectory::watch(const std::string& id, const std::string& room, WatchDone done) {
  // The peer's list of watches is under its owner's lock, the room's watchers
  // under the room's: first one, then the other.
  WatchResult result{WatchStatus::watching, {}};
  std::shared_ptr<PeerLink> link;
  bool added = false;
  if (Owned owned = own(id); !owned) {
    result.status = WatchStatus::no_such_peer;
  } else if (auto& watching = owned.peer().watching;
             std::find(watching.begin(), watching.end(), room) == watching.end()) {
    if (watching.size() >= owned.shard->limits.max_watches) {
      result.status = WatchStatus::watch_limit;
    } else {
      watching.push_back(room);
      link = owned.peer().link;
      added = true;
    }
  }
  if (result.status != WatchStatus::watching) return done(std::move(result));
  {
    Shard& shard = shard_for(room);
    std::lock_guard lock(shard.mutex);
    if (added) {
      shard.watchers[room].push_back({id, link});
      ++shard.watches;
    }
    if (auto it = shard.rooms.find(room); it != shard.rooms.end()) {
      result.peers = ids_except(it->second.peers, nullptr);
      result.meta = meta_of(it->second.peers, nullptr);
    }
  }
  if (added && !still_watching(id, link, room)) {
    // The connection ended (or was taken over) between the two locks and its
    // watches were ended before this one was in place: undo it.
    end_watches(id, link, {room});
  }
  done(std::move(result));
}

bool InProcessDirectory::still_watching(const std::string& id,
                                        const std::shared_ptr<PeerLink>& link,
                                        const std::string& room) const {
  Owned owned = own(id);
  if (!owned || owned.peer().link != link) return false;
  const auto& watching = owned.peer().watching;
  return std::find(watching.begin(), watching.end(), room) != watching.end();
}

void InProcessDirectory::unwatch(const std::string& id, const std::string& room,
                                 std::function<void(bool)> done) {
  std::shared_ptr<PeerLink> link;
  bool watched = false;
  if (Owned owned = own(id)) {
    auto& watching = owned.peer().watching;
    if (auto pos = std::find(watching.begin(), watching.end(), room); pos != watching.end()) {
      watching.erase(pos);
      link = owned.peer().link;
      watched = true;
    }
  }
  if (watched) end_watches(id, link, {room});
  done(watched);
}

void InProcessDirectory::leave(const std::string& id, LeaveDone done) {
  std::optional<std::string> result;
  if (Owned owned = own(id); owned && !owned.peer().room.empty()) {
    result = owned.peer().room;
    remove_from_room_locked(*owned.shard, owned.peer(), LeaveReason::leave, false, true);
  }
  done(std::move(result));
}

void InProcessDirectory::remove_from_room_locked(Shard& shard, Peer& peer, LeaveReason reason,
                                                 bool tell_peer, bool tell_others) {
  auto room_it = shard.rooms.find(peer.room);
  assert(room_it != shard.rooms.end());
  Room& room = room_it->second;
  auto pos = std::find(room.peers.begin(), room.peers.end(), &peer);
  assert(pos != room.peers.end());
  room.peers.erase(pos);
  --shard.seated;
  const std::string room_name = std::move(peer.room);
  peer.room.clear();
  if (lifecycle_) lifecycle_->peer_left(room_name, peer.id, peer.meta, reason, 0);
  // The metadata and grants belong to the seat.
  peer.meta = nlohmann::json::object();
  peer.meta_pinned = false;
  peer.relays = kRelayAll;
  if (tell_peer) deliver_locked(shard, peer, RemovedEvent{room_name, reason});
  const Event left = PeerLeftEvent{room_name, peer.id, reason};
  if (tell_others)
    for (Peer* other : room.peers) deliver_locked(shard, *other, left);
  tell_watchers_locked(shard, room_name, peer.id, left, tell_others);
  if (room.peers.empty()) {
    shard.rooms.erase(room_it);
    rooms_.fetch_sub(1, std::memory_order_relaxed);
    spdlog::debug("room destroyed ({} rooms)", rooms_.load(std::memory_order_relaxed));
    if (lifecycle_) lifecycle_->room_finished(room_name, 0);
  }
}

void InProcessDirectory::deliver_locked(const Shard& shard, Peer& peer, const Event& event) {
  const auto* relay = std::get_if<RelayEvent>(&event);
  // While a taken-over connection has not handed its queue over, relays wait
  // behind it in the kept buffer.
  if (peer.link && (peer.handovers_pending == 0 || !relay)) {
    peer.link->deliver(event);
    return;
  }
  // Away: only relayed messages are kept. Presence changes reach the peer as
  // the `peers` list of `resumed`.
  if (relay) keep_locked(shard.limits, peer, relay->message);
}

void InProcessDirectory::keep_locked(const DirectoryLimits& limits, Peer& peer,
                                     SharedMessage message) {
  if (!message) return;
  peer.kept_bytes += message->frame_size();
  peer.kept.push_back(std::move(message));
  std::size_t drop = 0;
  while (drop < peer.kept.size() && (peer.kept.size() - drop > limits.resume_buffer_messages ||
                                     peer.kept_bytes > limits.resume_buffer_bytes)) {
    peer.kept_bytes -= peer.kept[drop]->frame_size();
    ++drop;
  }
  peer.kept.erase(peer.kept.begin(), peer.kept.begin() + static_cast<std::ptrdiff_t>(drop));
}

InProcessDirectory::RelayStatus InProcessDirectory::relay(const std::string& id,
                                                          const std::string* to, RelayDraft draft) {
  Owned owned = own(id);
  if (!owned || owned.peer().room.empty()) return RelayStatus::not_in_room;
  Peer& sender = owned.peer();
  Shard& shard = *owned.shard;
  const Room& room = shard.rooms.at(sender.room);
  if ((sender.relays & relay_bit(draft.type)) == 0) return RelayStatus::forbidden;
  Peer* receiver = nullptr;
  if (to) {
    if (*to == id) return RelayStatus::unknown_peer;
    auto pos = std::find_if(room.peers.begin(), room.peers.end(),
                            [&](const Peer* p) { return p->id == *to; });
    if (pos == room.peers.end()) return RelayStatus::unknown_peer;
    receiver = *pos;
  }

  // One message for every receiver: each dialect encodes it once, on the
  // strand of whichever receiver asks first.
  const Event event = RelayEvent{RelayedMessage::make(draft, sender.room, id)};
  if (receiver) {
    deliver_locked(shard, *receiver, event);
    return RelayStatus::ok;
  }
  for (Peer* other : room.peers)
    if (other != &sender) deliver_locked(shard, *other, event);
  return RelayStatus::ok;
}

void InProcessDirectory::send_server_message(const std::string& room_name, const std::string* to,
                                             std::string data, ServerMessageDone done) {
  ServerMessageResult result{ServerMessageStatus::delivered};
  {
    Shard& shard = shard_for(room_name);
    std::lock_guard lock(shard.mutex);
    auto room = shard.rooms.find(room_name);
    if (room == shard.rooms.end()) {
      result.status = ServerMessageStatus::no_such_room;
    } else if (to && std::none_of(room->second.peers.begin(), room->second.peers.end(),
                                  [&](const Peer* p) { return p->id == *to; })) {
      result.status = ServerMessageStatus::no_such_peer;
    } else {
      const RelayDraft draft{"server-message", data, false, RelayShape::server};
      const Event event = RelayEvent{RelayedMessage::make(draft, room_name, "")};
      for (Peer* peer : room->second.peers) {
        if (to && peer->id != *to) continue;
        deliver_locked(shard, *peer, event);
        ++result.receivers;
      }
    }
  }
  done(result);
}

InProcessDirectory::Retired InProcessDirectory::retire_locked(Owned& owned) {
  Peer& peer = owned.peer();
  owned.shard->away.erase(&peer);
  peer.owner.store(kGone, std::memory_order_release);
  return {owned.keep, std::move(peer.resume_token), std::move(peer.link), std::move(peer.watching)};
}

void InProcessDirectory::finish(Retired retired) {
  const std::string& id = retired.keep->id;
  std::shared_ptr<Peer> entry;  // released after the lock, with the peer's kept messages
  {
    Shard& home = shard_for(id);
    std::lock_guard lock(home.mutex);
    if (auto it = home.index.find(id); it != home.index.end()) {
      entry = std::move(it->second);
      home.index.erase(it);
    }
  }
  if (!retired.token.empty()) {
    Shard& tokens = shard_for(retired.token);
    std::lock_guard lock(tokens.mutex);
    if (auto it = tokens.tokens.find(retired.token);
        it != tokens.tokens.end() && it->second == retired.keep)
      tokens.tokens.erase(it);
  }
  end_watches(id, retired.link, retired.watching);
}

void InProcessDirectory::end(const std::string& id, const PeerLink* link) {
  Retired retired;
  {
    Owned owned = own(id);
    if (!owned || owned.peer().link.get() != link) return;
    if (!owned.peer().room.empty())
      remove_from_room_locked(*owned.shard, owned.peer(), LeaveReason::disconnect, false, true);
    retired = retire_locked(owned);
  }
  finish(std::move(retired));
}

std::optional<std::string> InProcessDirectory::room_of(const std::string& id) const {
  Owned owned = own(id);
  if (!owned || owned.peer().room.empty()) return std::nullopt;
  return owned.peer().room;
}

}  // namespace parley
