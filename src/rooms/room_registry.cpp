#include "rooms/room_registry.hpp"

#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>

#include "base/ids.hpp"

namespace parley {

RoomRegistry::RoomRegistry(const Clock& clock, RegistryLimits limits)
    : clock_(clock), limits_(limits) {}

void RoomRegistry::set_limits(const RegistryLimits& limits) {
  std::lock_guard lock(mutex_);
  limits_ = limits;
}

RoomRegistry::Connected RoomRegistry::connect(std::shared_ptr<PeerLink> link, Dialect dialect) {
  assert(link);
  Connected result{random_peer_id(),
                   dialect == Dialect::native ? random_resume_token() : std::string()};
  std::lock_guard lock(mutex_);
  Peer& peer = peers_[result.id];
  peer.id = result.id;
  peer.resume_token = result.resume_token;
  peer.dialect = dialect;
  peer.link = std::move(link);
  if (!result.resume_token.empty()) tokens_[result.resume_token] = result.id;
  return result;
}

std::vector<std::string> RoomRegistry::others_locked(const Room& room,
                                                     const std::string& id) const {
  std::vector<std::string> others;
  others.reserve(room.peers.size());
  for (const auto& p : room.peers)
    if (p != id) others.push_back(p);
  return others;
}

nlohmann::json RoomRegistry::meta_of_locked(const std::vector<std::string>& ids) const {
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& id : ids) meta[id] = peers_.at(id).meta;
  return meta;
}

void RoomRegistry::tell_watchers_locked(const std::string& room, const std::string& subject,
                                        const Event& event, bool members_told) {
  auto it = watchers_.find(room);
  if (it == watchers_.end()) return;
  for (const auto& watcher_id : it->second) {
    Peer& watcher = peers_.at(watcher_id);
    // A watcher that is in the room heard it as a member; once is enough.
    if (members_told && watcher.room == room && watcher.id != subject) continue;
    deliver_locked(watcher, event);
  }
}

void RoomRegistry::end_watches_locked(Peer& peer) {
  for (const auto& room : peer.watching) {
    auto it = watchers_.find(room);
    assert(it != watchers_.end());
    std::erase(it->second, peer.id);
    if (it->second.empty()) watchers_.erase(it);
  }
  watch_count_ -= peer.watching.size();
  peer.watching.clear();
}

RoomRegistry::JoinResult RoomRegistry::join(const std::string& id, const std::string& room_name,
                                            JoinOptions options) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end()) return {JoinStatus::no_such_peer, {}};
  Peer& peer = it->second;
  if (!peer.room.empty()) return {JoinStatus::already_in_room, {}};

  auto room_it = rooms_.find(room_name);
  if (room_it == rooms_.end()) {
    if (rooms_.size() >= limits_.max_rooms) return {JoinStatus::room_limit, {}};
  } else if (room_it->second.peers.size() >=
             room_it->second.capacity.value_or(limits_.max_peers_per_room)) {
    return {JoinStatus::full, {}};
  }
  if (room_it == rooms_.end()) {
    room_it = rooms_.emplace(room_name, Room{{}, clock_.unix_now(), options.max_peers}).first;
    spdlog::debug("room created ({} rooms)", rooms_.size());
  }
  Room& room = room_it->second;
  JoinResult result{JoinStatus::joined, room.peers, meta_of_locked(room.peers)};
  peer.meta = std::move(options.meta);
  peer.meta_pinned = options.meta_pinned;
  peer.relays = options.relays;
  const Event joined = PeerJoinedEvent{room_name, id, peer.meta};
  for (const auto& other : room.peers) deliver_locked(peers_.at(other), joined);
  room.peers.push_back(id);
  peer.room = room_name;
  ++seated_;
  tell_watchers_locked(room_name, id, joined, true);
  return result;
}

RoomRegistry::MetaResult RoomRegistry::update_meta(const std::string& id, nlohmann::json meta) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return {MetaStatus::not_in_room, {}};
  Peer& peer = it->second;
  if (peer.meta_pinned) return {MetaStatus::forbidden, {}};
  peer.meta = std::move(meta);
  const Event updated = PeerUpdatedEvent{peer.room, id, peer.meta};
  for (const auto& other : rooms_.at(peer.room).peers)
    if (other != id) deliver_locked(peers_.at(other), updated);
  tell_watchers_locked(peer.room, id, updated, true);
  return {MetaStatus::updated, peer.room};
}

RoomRegistry::WatchResult RoomRegistry::watch(const std::string& id, const std::string& room) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end()) return {WatchStatus::no_such_peer, {}};
  Peer& peer = it->second;
  const bool already =
      std::find(peer.watching.begin(), peer.watching.end(), room) != peer.watching.end();
  if (!already) {
    if (peer.watching.size() >= limits_.max_watches) return {WatchStatus::watch_limit, {}};
    peer.watching.push_back(room);
    watchers_[room].push_back(id);
    ++watch_count_;
  }
  WatchResult result{WatchStatus::watching, {}};
  if (auto room_it = rooms_.find(room); room_it != rooms_.end()) {
    result.peers = room_it->second.peers;
    result.meta = meta_of_locked(result.peers);
  }
  return result;
}

bool RoomRegistry::unwatch(const std::string& id, const std::string& room) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end()) return false;
  Peer& peer = it->second;
  auto pos = std::find(peer.watching.begin(), peer.watching.end(), room);
  if (pos == peer.watching.end()) return false;
  peer.watching.erase(pos);
  auto watchers = watchers_.find(room);
  assert(watchers != watchers_.end());
  std::erase(watchers->second, id);
  if (watchers->second.empty()) watchers_.erase(watchers);
  --watch_count_;
  return true;
}

std::optional<std::string> RoomRegistry::leave(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return std::nullopt;
  std::string room = it->second.room;
  remove_from_room_locked(it->second, LeaveReason::leave, false, true);
  return room;
}

void RoomRegistry::remove_from_room_locked(Peer& peer, LeaveReason reason, bool tell_peer,
                                           bool tell_others) {
  auto room_it = rooms_.find(peer.room);
  assert(room_it != rooms_.end());
  Room& room = room_it->second;
  auto pos = std::find(room.peers.begin(), room.peers.end(), peer.id);
  assert(pos != room.peers.end());
  room.peers.erase(pos);
  --seated_;
  const std::string room_name = peer.room;
  peer.room.clear();
  // The metadata and grants belong to the seat.
  peer.meta = nlohmann::json::object();
  peer.meta_pinned = false;
  peer.relays = kRelayAll;
  if (tell_peer) deliver_locked(peer, RemovedEvent{room_name, reason});
  const Event left = PeerLeftEvent{room_name, peer.id, reason};
  if (tell_others)
    for (const auto& other : room.peers) deliver_locked(peers_.at(other), left);
  tell_watchers_locked(room_name, peer.id, left, tell_others);
  if (room.peers.empty()) {
    rooms_.erase(room_it);
    spdlog::debug("room destroyed ({} rooms)", rooms_.size());
  }
}

void RoomRegistry::deliver_locked(Peer& peer, const Event& event) {
  const auto* relay = std::get_if<RelayEvent>(&event);
  // While a taken-over connection has not handed its queue over, relays wait
  // behind it in the kept buffer.
  if (peer.link && (peer.handovers_pending == 0 || !relay)) {
    peer.link->deliver(event);
    return;
  }
  // Away: only relayed messages are kept. Presence changes reach the peer as the
  // `peers` list of `resumed`.
  if (relay) keep_locked(peer, relay->native);
}

void RoomRegistry::keep_locked(Peer& peer, SharedText text) {
  if (!text) return;
  peer.kept_bytes += text->size();
  peer.kept.push_back(std::move(text));
  std::size_t drop = 0;
  while (drop < peer.kept.size() && (peer.kept.size() - drop > limits_.resume_buffer_messages ||
                                     peer.kept_bytes > limits_.resume_buffer_bytes)) {
    peer.kept_bytes -= peer.kept[drop]->size();
    ++drop;
  }
  peer.kept.erase(peer.kept.begin(), peer.kept.begin() + static_cast<std::ptrdiff_t>(drop));
}

RoomRegistry::RelayStatus RoomRegistry::relay(const std::string& id, const std::string* to,
                                              const RelayMessage& message) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return RelayStatus::not_in_room;
  const std::string& room_name = it->second.room;
  const Room& room = rooms_.at(room_name);
  if ((it->second.relays & relay_bit(message.type)) == 0) return RelayStatus::forbidden;

  RelayEvent event{message.type, message.native, nullptr};
  auto deliver = [&](Peer& receiver) {
    if (receiver.dialect == Dialect::socketio && !event.socketio && message.socketio)
      event.socketio = message.socketio(room_name);
    deliver_locked(receiver, event);
  };
  if (to) {
    if (*to == id || std::find(room.peers.begin(), room.peers.end(), *to) == room.peers.end())
      return RelayStatus::unknown_peer;
    deliver(peers_.at(*to));
    return RelayStatus::ok;
  }
  for (const auto& other : room.peers)
    if (other != id) deliver(peers_.at(other));
  return RelayStatus::ok;
}

void RoomRegistry::erase_peer_locked(const std::string& id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  if (!it->second.resume_token.empty()) tokens_.erase(it->second.resume_token);
  end_watches_locked(it->second);
  away_.erase(id);
  peers_.erase(it);
}

void RoomRegistry::end(const std::string& id, const PeerLink* link) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.link.get() != link) return;
  if (!it->second.room.empty())
    remove_from_room_locked(it->second, LeaveReason::disconnect, false, true);
  erase_peer_locked(id);
}

void RoomRegistry::lost(const std::string& id, PeerLink* link) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.link.get() != link) return;
  Peer& peer = it->second;
  if (peer.dialect != Dialect::native || limits_.resume_grace <= 0) {
    // No resume for this peer: a lost connection ends it. Without a grace there
    // is nothing to wait for, so the others learn of it as a timeout at once.
    if (!peer.room.empty())
      remove_from_room_locked(
          peer, peer.dialect == Dialect::native ? LeaveReason::timeout : LeaveReason::disconnect,
          false, true);
    erase_peer_locked(id);
    return;
  }
  // Watches end with the connection; a resume does not bring them back.
  end_watches_locked(peer);
  for (auto& text : link->take_unsent()) keep_locked(peer, std::move(text));
  peer.link.reset();
  peer.away_deadline = clock_.now() + limits_.resume_grace;
  away_.insert(id);
}

std::optional<RoomRegistry::Resumed> RoomRegistry::resume(const std::string& token,
                                                          const std::string& provisional_id,
                                                          std::shared_ptr<PeerLink> link) {
  std::lock_guard lock(mutex_);
  auto token_it = tokens_.find(token);
  if (token_it == tokens_.end()) return std::nullopt;
  const std::string id = token_it->second;
  if (id == provisional_id) return std::nullopt;  // its own fresh token: nothing to resume
  Peer& peer = peers_.at(id);
  if (!peer.link && clock_.now() >= peer.away_deadline) return std::nullopt;  // expiry is due

  // The new connection's provisional identity is dropped; it never joined a room
  // because resume must be its first message.
  auto provisional = peers_.find(provisional_id);
  if (provisional != peers_.end() && provisional->second.room.empty())
    erase_peer_locked(provisional_id);

  if (peer.link) {
    // A half-open connection loses to the new one; its unsent messages follow.
    peer.link->superseded();
    ++peer.handovers_pending;
  }
  end_watches_locked(peer);  // the old connection's watches end with it
  away_.erase(id);
  tokens_.erase(token_it);
  peer.resume_token = random_resume_token();
  tokens_[peer.resume_token] = id;
  peer.link = std::move(link);

  Resumed result;
  result.id = id;
  if (!peer.room.empty()) {
    result.room = peer.room;
    result.peers = others_locked(rooms_.at(peer.room), id);
    result.meta = meta_of_locked(result.peers);
  }
  result.resume_token = peer.resume_token;
  if (peer.handovers_pending == 0) {
    result.kept.swap(peer.kept);
    peer.kept_bytes = 0;
  }  // else the kept messages go out after what the taken-over link hands over
  return result;
}

void RoomRegistry::hand_over(const std::string& id, std::vector<SharedText> unsent) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.handovers_pending == 0) return;  // ended meanwhile
  Peer& peer = it->second;
  --peer.handovers_pending;
  // The handed-over messages are older than those kept since the takeover.
  std::vector<SharedText> newer;
  newer.swap(peer.kept);
  peer.kept_bytes = 0;
  for (auto& text : unsent) keep_locked(peer, std::move(text));
  for (auto& text : newer) keep_locked(peer, std::move(text));
  if (peer.handovers_pending > 0 || !peer.link) return;  // away: kept for the next resume
  for (auto& text : peer.kept) peer.link->deliver(RelayEvent{"message", std::move(text), nullptr});
  peer.kept.clear();
  peer.kept_bytes = 0;
}

std::size_t RoomRegistry::expire() {
  std::lock_guard lock(mutex_);
  const double now = clock_.now();
  std::vector<std::string> due;
  for (const auto& id : away_)
    if (now >= peers_.at(id).away_deadline) due.push_back(id);
  for (const auto& id : due) {
    Peer& peer = peers_.at(id);
    if (!peer.room.empty()) remove_from_room_locked(peer, LeaveReason::timeout, false, true);
    erase_peer_locked(id);
  }
  return due.size();
}

std::optional<double> RoomRegistry::next_deadline() const {
  std::lock_guard lock(mutex_);
  std::optional<double> next;
  for (const auto& id : away_) {
    const double deadline = peers_.at(id).away_deadline;
    if (!next || deadline < *next) next = deadline;
  }
  if (next) return std::max(0.0, *next - clock_.now());
  return std::nullopt;
}

std::vector<RoomInfo> RoomRegistry::rooms() const {
  std::lock_guard lock(mutex_);
  std::vector<RoomInfo> result;
  result.reserve(rooms_.size());
  for (const auto& [name, room] : rooms_)
    result.push_back({name, room.peers, room.created_unix, meta_of_locked(room.peers)});
  std::sort(result.begin(), result.end(),
            [](const RoomInfo& a, const RoomInfo& b) { return a.name < b.name; });
  return result;
}

std::optional<RoomInfo> RoomRegistry::room(const std::string& name) const {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return std::nullopt;
  return RoomInfo{name, it->second.peers, it->second.created_unix,
                  meta_of_locked(it->second.peers)};
}

bool RoomRegistry::kick_room(const std::string& name) {
  std::lock_guard lock(mutex_);
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return false;
  const std::vector<std::string> members = it->second.peers;
  // Everyone goes, so nobody is told of the others leaving: each gets only `left`.
  for (const auto& id : members)
    remove_from_room_locked(peers_.at(id), LeaveReason::kicked, true, false);
  return true;
}

bool RoomRegistry::kick_peer(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return false;
  remove_from_room_locked(it->second, LeaveReason::kicked, true, true);
  return true;
}

void RoomRegistry::clear() {
  std::unordered_map<std::string, Peer> peers;
  {
    std::lock_guard lock(mutex_);
    peers.swap(peers_);
    rooms_.clear();
    tokens_.clear();
    away_.clear();
    watchers_.clear();
    watch_count_ = 0;
    seated_ = 0;
  }
  // The links (sessions) are released here, outside the lock.
}

std::size_t RoomRegistry::room_count() const {
  std::lock_guard lock(mutex_);
  return rooms_.size();
}

std::size_t RoomRegistry::peer_count() const {
  std::lock_guard lock(mutex_);
  return seated_;
}

std::size_t RoomRegistry::watch_count() const {
  std::lock_guard lock(mutex_);
  return watch_count_;
}

std::size_t RoomRegistry::connected_count() const {
  std::lock_guard lock(mutex_);
  return peers_.size();
}

std::optional<std::string> RoomRegistry::room_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return std::nullopt;
  return it->second.room;
}

}  // namespace parley
