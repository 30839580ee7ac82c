#include "rooms/in_process_directory.hpp"

#include <algorithm>
#include <cassert>

#include <spdlog/spdlog.h>

#include "base/ids.hpp"

namespace parley {

InProcessDirectory::InProcessDirectory(const Clock& clock, DirectoryLimits limits,
                                       RoomLifecycle* lifecycle)
    : clock_(clock), lifecycle_(lifecycle), limits_(limits) {}

void InProcessDirectory::set_limits(const DirectoryLimits& limits) {
  std::lock_guard lock(mutex_);
  limits_ = limits;
}

InProcessDirectory::Connected InProcessDirectory::connect(std::shared_ptr<PeerLink> link) {
  assert(link);
  const bool resumable = link->resumable();
  Connected result{random_peer_id(), resumable ? random_resume_token() : std::string()};
  std::lock_guard lock(mutex_);
  Peer& peer = peers_[result.id];
  peer.id = result.id;
  peer.resume_token = result.resume_token;
  peer.resumable = resumable;
  peer.link = std::move(link);
  if (!result.resume_token.empty()) tokens_[result.resume_token] = result.id;
  return result;
}

std::vector<std::string> InProcessDirectory::others_locked(const Room& room,
                                                           const std::string& id) const {
  std::vector<std::string> others;
  others.reserve(room.peers.size());
  for (const auto& p : room.peers)
    if (p != id) others.push_back(p);
  return others;
}

nlohmann::json InProcessDirectory::meta_of_locked(const std::vector<std::string>& ids) const {
  nlohmann::json meta = nlohmann::json::object();
  for (const auto& id : ids) meta[id] = peers_.at(id).meta;
  return meta;
}

void InProcessDirectory::tell_watchers_locked(const std::string& room, const std::string& subject,
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

void InProcessDirectory::end_watches_locked(Peer& peer) {
  for (const auto& room : peer.watching) {
    auto it = watchers_.find(room);
    assert(it != watchers_.end());
    std::erase(it->second, peer.id);
    if (it->second.empty()) watchers_.erase(it);
  }
  watch_count_ -= peer.watching.size();
  peer.watching.clear();
}

void InProcessDirectory::join(const std::string& id, const std::string& room, JoinOptions options,
                              JoinDone done) {
  JoinResult result;
  {
    std::lock_guard lock(mutex_);
    result = join_locked(id, room, options);
  }
  done(std::move(result));
}

InProcessDirectory::JoinResult InProcessDirectory::join_locked(const std::string& id,
                                                               const std::string& room_name,
                                                               JoinOptions& options) {
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
    if (lifecycle_) lifecycle_->room_started(room_name, 0);
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
  if (lifecycle_) lifecycle_->peer_joined(room_name, id, peer.meta, 0);
  return result;
}

void InProcessDirectory::update_meta(const std::string& id, nlohmann::json meta, MetaDone done) {
  MetaResult result;
  {
    std::lock_guard lock(mutex_);
    result = update_meta_locked(id, meta);
  }
  done(std::move(result));
}

InProcessDirectory::MetaResult InProcessDirectory::update_meta_locked(const std::string& id,
                                                                      nlohmann::json& meta) {
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return {MetaStatus::not_in_room, {}};
  Peer& peer = it->second;
  if (peer.meta_pinned) return {MetaStatus::forbidden, {}};
  peer.meta = std::move(meta);
  const Event updated = PeerUpdatedEvent{peer.room, id, peer.meta};
  for (const auto& other : rooms_.at(peer.room).peers)
    if (other != id) deliver_locked(peers_.at(other), updated);
  tell_watchers_locked(peer.room, id, updated, true);
  if (lifecycle_) lifecycle_->peer_updated(peer.room, id, peer.meta, 0);
  return {MetaStatus::updated, peer.room};
}

void InProcessDirectory::watch(const std::string& id, const std::string& room, WatchDone done) {
  WatchResult result;
  {
    std::lock_guard lock(mutex_);
    result = watch_locked(id, room);
  }
  done(std::move(result));
}

InProcessDirectory::WatchResult InProcessDirectory::watch_locked(const std::string& id,
                                                                 const std::string& room) {
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

void InProcessDirectory::unwatch(const std::string& id, const std::string& room,
                                 std::function<void(bool)> done) {
  bool result;
  {
    std::lock_guard lock(mutex_);
    result = unwatch_locked(id, room);
  }
  done(result);
}

bool InProcessDirectory::unwatch_locked(const std::string& id, const std::string& room) {
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

void InProcessDirectory::leave(const std::string& id, LeaveDone done) {
  std::optional<std::string> result;
  {
    std::lock_guard lock(mutex_);
    result = leave_locked(id);
  }
  done(std::move(result));
}

std::optional<std::string> InProcessDirectory::leave_locked(const std::string& id) {
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return std::nullopt;
  std::string room = it->second.room;
  remove_from_room_locked(it->second, LeaveReason::leave, false, true);
  return room;
}

void InProcessDirectory::remove_from_room_locked(Peer& peer, LeaveReason reason, bool tell_peer,
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
  if (lifecycle_) lifecycle_->peer_left(room_name, peer.id, peer.meta, reason, 0);
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
    if (lifecycle_) lifecycle_->room_finished(room_name, 0);
  }
}

void InProcessDirectory::deliver_locked(Peer& peer, const Event& event) {
  const auto* relay = std::get_if<RelayEvent>(&event);
  // While a taken-over connection has not handed its queue over, relays wait
  // behind it in the kept buffer.
  if (peer.link && (peer.handovers_pending == 0 || !relay)) {
    peer.link->deliver(event);
    return;
  }
  // Away: only relayed messages are kept. Presence changes reach the peer as
  // the `peers` list of `resumed`.
  if (relay) keep_locked(peer, relay->message);
}

void InProcessDirectory::keep_locked(Peer& peer, SharedMessage message) {
  if (!message) return;
  peer.kept_bytes += message->frame_size();
  peer.kept.push_back(std::move(message));
  std::size_t drop = 0;
  while (drop < peer.kept.size() && (peer.kept.size() - drop > limits_.resume_buffer_messages ||
                                     peer.kept_bytes > limits_.resume_buffer_bytes)) {
    peer.kept_bytes -= peer.kept[drop]->frame_size();
    ++drop;
  }
  peer.kept.erase(peer.kept.begin(), peer.kept.begin() + static_cast<std::ptrdiff_t>(drop));
}

InProcessDirectory::RelayStatus InProcessDirectory::relay(const std::string& id,
                                                          const std::string* to, RelayDraft draft) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return RelayStatus::not_in_room;
  const std::string& room_name = it->second.room;
  const Room& room = rooms_.at(room_name);
  if ((it->second.relays & relay_bit(draft.type)) == 0) return RelayStatus::forbidden;
  if (to && (*to == id || std::find(room.peers.begin(), room.peers.end(), *to) == room.peers.end()))
    return RelayStatus::unknown_peer;

  // One message for every receiver: each dialect encodes it once, on the
  // strand of whichever receiver asks first.
  const Event event = RelayEvent{RelayedMessage::make(draft, room_name, id)};
  if (to) {
    deliver_locked(peers_.at(*to), event);
    return RelayStatus::ok;
  }
  for (const auto& other : room.peers)
    if (other != id) deliver_locked(peers_.at(other), event);
  return RelayStatus::ok;
}

void InProcessDirectory::send_server_message(const std::string& room_name, const std::string* to,
                                             std::string data, ServerMessageDone done) {
  ServerMessageResult result{ServerMessageStatus::delivered};
  {
    std::lock_guard lock(mutex_);
    auto room = rooms_.find(room_name);
    if (room == rooms_.end()) {
      result.status = ServerMessageStatus::no_such_room;
    } else if (to && std::find(room->second.peers.begin(), room->second.peers.end(), *to) ==
                         room->second.peers.end()) {
      result.status = ServerMessageStatus::no_such_peer;
    } else {
      const RelayDraft draft{"server-message", data, false, RelayShape::server};
      const Event event = RelayEvent{RelayedMessage::make(draft, room_name, "")};
      for (const auto& id : room->second.peers) {
        if (to && id != *to) continue;
        deliver_locked(peers_.at(id), event);
        ++result.receivers;
      }
    }
  }
  done(result);
}

void InProcessDirectory::erase_peer_locked(const std::string& id) {
  auto it = peers_.find(id);
  if (it == peers_.end()) return;
  if (!it->second.resume_token.empty()) tokens_.erase(it->second.resume_token);
  end_watches_locked(it->second);
  away_.erase(id);
  peers_.erase(it);
}

void InProcessDirectory::end(const std::string& id, const PeerLink* link) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.link.get() != link) return;
  if (!it->second.room.empty())
    remove_from_room_locked(it->second, LeaveReason::disconnect, false, true);
  erase_peer_locked(id);
}

void InProcessDirectory::lost(const std::string& id, PeerLink* link) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.link.get() != link) return;
  Peer& peer = it->second;
  if (!peer.resumable || limits_.resume_grace <= 0) {
    // No resume for this peer: a lost connection ends it. Without a grace there
    // is nothing to wait for, so the others learn of it as a timeout at once.
    if (!peer.room.empty())
      remove_from_room_locked(peer, peer.resumable ? LeaveReason::timeout : LeaveReason::disconnect,
                              false, true);
    erase_peer_locked(id);
    return;
  }
  // Watches end with the connection; a resume does not bring them back.
  end_watches_locked(peer);
  for (auto& message : link->take_unsent()) keep_locked(peer, std::move(message));
  peer.link.reset();
  peer.away_deadline = clock_.now() + limits_.resume_grace;
  away_.insert(id);
}

void InProcessDirectory::resume(const std::string& token, const std::string& provisional_id,
                                std::shared_ptr<PeerLink> link, ResumeDone done) {
  std::optional<Resumed> result;
  {
    std::lock_guard lock(mutex_);
    result = resume_locked(token, provisional_id, link);
  }
  done(std::move(result));
}

std::optional<InProcessDirectory::Resumed> InProcessDirectory::resume_locked(
    const std::string& token, const std::string& provisional_id, std::shared_ptr<PeerLink>& link) {
  auto token_it = tokens_.find(token);
  if (token_it == tokens_.end()) return std::nullopt;
  const std::string id = token_it->second;
  if (id == provisional_id) return std::nullopt;  // its own fresh token: nothing to resume
  Peer& peer = peers_.at(id);
  if (!peer.link && clock_.now() >= peer.away_deadline) return std::nullopt;  // expiry is due

  // The new connection's provisional identity is dropped; it never joined a
  // room because resume must be its first message.
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

void InProcessDirectory::hand_over(const std::string& id, std::vector<SharedMessage> unsent) {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.handovers_pending == 0) return;  // ended meanwhile
  Peer& peer = it->second;
  --peer.handovers_pending;
  // The handed-over messages are older than those kept since the takeover.
  std::vector<SharedMessage> newer;
  newer.swap(peer.kept);
  peer.kept_bytes = 0;
  for (auto& message : unsent) keep_locked(peer, std::move(message));
  for (auto& message : newer) keep_locked(peer, std::move(message));
  if (peer.handovers_pending > 0 || !peer.link) return;  // away: kept for the next resume
  for (auto& message : peer.kept) peer.link->deliver(RelayEvent{std::move(message)});
  peer.kept.clear();
  peer.kept_bytes = 0;
}

std::size_t InProcessDirectory::expire() {
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

std::optional<double> InProcessDirectory::next_deadline() const {
  std::lock_guard lock(mutex_);
  std::optional<double> next;
  for (const auto& id : away_) {
    const double deadline = peers_.at(id).away_deadline;
    if (!next || deadline < *next) next = deadline;
  }
  if (next) return std::max(0.0, *next - clock_.now());
  return std::nullopt;
}

void InProcessDirectory::rooms(std::function<void(std::vector<RoomInfo>)> done) const {
  std::vector<RoomInfo> result;
  {
    std::lock_guard lock(mutex_);
    result.reserve(rooms_.size());
    for (const auto& [name, room] : rooms_)
      result.push_back({name, room.peers, room.created_unix, meta_of_locked(room.peers)});
  }
  std::sort(result.begin(), result.end(),
            [](const RoomInfo& a, const RoomInfo& b) { return a.name < b.name; });
  done(std::move(result));
}

void InProcessDirectory::room(const std::string& name,
                              std::function<void(std::optional<RoomInfo>)> done) const {
  std::optional<RoomInfo> result;
  {
    std::lock_guard lock(mutex_);
    result = room_locked(name);
  }
  done(std::move(result));
}

std::optional<RoomInfo> InProcessDirectory::room_locked(const std::string& name) const {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return std::nullopt;
  return RoomInfo{name, it->second.peers, it->second.created_unix,
                  meta_of_locked(it->second.peers)};
}

void InProcessDirectory::kick_room(const std::string& name, std::function<void(bool)> done) {
  bool result;
  {
    std::lock_guard lock(mutex_);
    result = kick_room_locked(name);
  }
  done(result);
}

bool InProcessDirectory::kick_room_locked(const std::string& name) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return false;
  const std::vector<std::string> members = it->second.peers;
  // Everyone goes, so nobody is told of the others leaving: each gets only
  // `left`.
  for (const auto& id : members)
    remove_from_room_locked(peers_.at(id), LeaveReason::kicked, true, false);
  return true;
}

void InProcessDirectory::kick_peer(const std::string& id, std::function<void(bool)> done) {
  bool result;
  {
    std::lock_guard lock(mutex_);
    result = kick_peer_locked(id);
  }
  done(result);
}

bool InProcessDirectory::kick_peer_locked(const std::string& id) {
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return false;
  remove_from_room_locked(it->second, LeaveReason::kicked, true, true);
  return true;
}

void InProcessDirectory::clear() {
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

DirectoryCounts InProcessDirectory::counts() const {
  std::lock_guard lock(mutex_);
  return DirectoryCounts{rooms_.size(), seated_, peers_.size(), watch_count_};
}

std::optional<std::string> InProcessDirectory::room_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = peers_.find(id);
  if (it == peers_.end() || it->second.room.empty()) return std::nullopt;
  return it->second.room;
}

}  // namespace parley
