#include "cluster/redis_room_directory.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <future>
#include <stdexcept>
#include <tuple>
#include <utility>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>

#include "base/ids.hpp"

namespace parley {

namespace {

using json = nlohmann::json;

// A claim answered `wait` (the old node has not handed over yet) is asked
// again after this long, at most kClaimAttempts times (about 5 s in all).
constexpr auto kClaimRetry = std::chrono::milliseconds(20);
constexpr unsigned kClaimAttempts = 250;

std::optional<LeaveReason> reason_from(const std::string& text) {
  if (text == "leave") return LeaveReason::leave;
  if (text == "disconnect") return LeaveReason::disconnect;
  if (text == "timeout") return LeaveReason::timeout;
  if (text == "kicked") return LeaveReason::kicked;
  return std::nullopt;
}

// The relay grants a seat carries in Redis (a decimal bit set); all when unset.
std::uint8_t relays_from(const std::string& text) {
  unsigned value = kRelayAll;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return static_cast<std::uint8_t>(value & kRelayAll);
}

json meta_from(const std::string& text) {
  json meta = json::parse(text, nullptr, false);
  return meta.is_object() ? meta : json::object();
}

std::vector<std::string> ids_of(const std::vector<ClusterMember>& members) {
  std::vector<std::string> ids;
  ids.reserve(members.size());
  for (const auto& member : members) ids.push_back(member.id);
  return ids;
}

json metas_of(const std::vector<ClusterMember>& members) {
  json metas = json::object();
  for (const auto& member : members) metas[member.id] = meta_from(member.meta);
  return metas;
}

RoomInfo room_info(ClusterRoom room) {
  RoomInfo info{std::move(room.name), std::move(room.peers), room.created_unix};
  for (std::size_t i = 0; i < info.peers.size() && i < room.metas.size(); ++i)
    info.meta[info.peers[i]] = meta_from(room.metas[i]);
  return info;
}

}  // namespace

std::string RedisRoomDirectory::envelope(const RelayedMessage& message) {
  json out{{"type", message.type},         {"room", message.room},
           {"from", message.sender},       {"data", message.shape == RelayShape::data},
           {"has_from", message.has_from}, {"text", message.text}};
  // Only a server message (the admin API's) says so: relays stay as they were.
  if (message.shape == RelayShape::server) out["server"] = true;
  return out.dump();
}

SharedMessage RedisRoomDirectory::from_envelope(const std::string& text) {
  const json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("text")) return nullptr;
  const std::string type = parsed.value("type", "");
  const std::string body = parsed.value("text", "");
  RelayDraft draft;
  draft.type = type;
  draft.text = body;
  draft.has_from = parsed.value("has_from", false);
  draft.shape = parsed.value("server", false) ? RelayShape::server
                : parsed.value("data", false) ? RelayShape::data
                                              : RelayShape::signal;
  return RelayedMessage::make(draft, parsed.value("room", ""), parsed.value("from", ""));
}

std::shared_ptr<RedisRoomDirectory> RedisRoomDirectory::create(
    std::shared_ptr<ClusterBackplane> backplane, const DirectoryLimits& limits,
    RoomLifecycle* lifecycle) {
  auto directory =
      std::shared_ptr<RedisRoomDirectory>(new RedisRoomDirectory(backplane, limits, lifecycle));
  std::weak_ptr<RedisRoomDirectory> weak = directory;
  backplane->on_event([weak](const NodeEvent& event) {
    if (auto self = weak.lock()) self->on_event(event);
  });
  backplane->on_hook([weak](const NodeEvent& event) {
    if (auto self = weak.lock()) self->on_hook(event);
  });
  backplane->on_restore_needed([weak] {
    if (auto self = weak.lock()) self->restore();
  });
  return directory;
}

RedisRoomDirectory::RedisRoomDirectory(std::shared_ptr<ClusterBackplane> backplane,
                                       const DirectoryLimits& limits, RoomLifecycle* lifecycle)
    : backplane_(backplane),
      lifecycle_(lifecycle),
      scripts_(std::move(backplane)),
      limits_(limits) {}

void RedisRoomDirectory::set_limits(const DirectoryLimits& limits) {
  std::lock_guard lock(mutex_);
  limits_ = limits;
}

RoomDirectory::Connected RedisRoomDirectory::connect(std::shared_ptr<PeerLink> link) {
  const bool resumable = link->resumable();
  Connected connected{random_peer_id(), resumable ? random_resume_token() : ""};
  {
    std::lock_guard lock(mutex_);
    LocalPeer peer;
    peer.link = std::move(link);
    peer.token = connected.resume_token;
    peer.resumable = resumable;
    peers_.emplace(connected.id, std::move(peer));
  }
  // Registered on the command connection, so before any later call of this
  // peer (one connection keeps the order). A clash of 96+ random bits does not
  // happen; should it, the peer's joins get `no_such_peer`.
  scripts_.connect(connected.id, connected.resume_token, resumable,
                   [id = connected.id](bool ok, bool registered) {
                     if (ok && !registered)
                       spdlog::error("cluster: peer id or token of {} already taken", id);
                   });
  return connected;
}

void RedisRoomDirectory::join(const std::string& id, const std::string& room, JoinOptions options,
                              JoinDone done) {
  std::size_t max_peers, max_rooms;
  {
    std::lock_guard lock(mutex_);
    max_peers = limits_.max_peers_per_room;
    max_rooms = limits_.max_rooms;
  }
  ClusterSeat seat{options.meta.dump(), options.meta_pinned, std::to_string(options.relays),
                   options.max_peers};
  scripts_.join(
      id, room, max_peers, max_rooms, seat,
      [self = shared_from_this(), id, room, seat, meta = std::move(options.meta),
       relays = options.relays, done = std::move(done)](ClusterJoin reply) mutable {
        JoinResult result{JoinStatus::no_such_peer, {}};
        using S = ClusterJoin::Status;
        switch (reply.status) {
          case S::joined: {
            result.status = JoinStatus::joined;
            result.peers = ids_of(reply.others);
            result.meta = metas_of(reply.others);
            std::lock_guard lock(self->mutex_);
            if (auto peer = self->peers_.find(id); peer != self->peers_.end()) {
              peer->second.room = room;
              peer->second.seat = seat;
              peer->second.seq = reply.seq;
              peer->second.relays = relays;
            }
            auto members = result.peers;
            members.push_back(id);
            self->rooms_[room] = std::move(members);
            // The script told the other nodes; this node tells its own.
            self->tell_locked(room, result.peers, id, PeerJoinedEvent{room, id, std::move(meta)});
            break;
          }
          case S::full:
            result.status = JoinStatus::full;
            break;
          case S::room_limit:
            result.status = JoinStatus::room_limit;
            break;
          case S::already_in_room:
            result.status = JoinStatus::already_in_room;
            break;
          case S::no_such_peer:
            result.status = JoinStatus::no_such_peer;
            break;
          // Redis unreachable: nothing changed; the joiner hears
          // `unavailable` and may try again (docs/cluster.md, "Redis outage").
          case S::failed:
            result.status = JoinStatus::unavailable;
            break;
        }
        done(std::move(result));
      });
}

void RedisRoomDirectory::update_meta(const std::string& id, nlohmann::json meta, MetaDone done) {
  scripts_.update_meta(
      id, meta.dump(),
      [self = shared_from_this(), id, meta, done = std::move(done)](ClusterMeta reply) {
        using S = ClusterMeta::Status;
        if (reply.status == S::forbidden) return done({MetaStatus::forbidden, {}});
        // Redis unreachable: the peer may well be in a room; say so, as a join does.
        if (reply.status == S::failed) return done({MetaStatus::unavailable, {}});
        if (reply.status != S::updated) return done({MetaStatus::not_in_room, {}});
        {
          std::lock_guard lock(self->mutex_);
          if (auto peer = self->peers_.find(id); peer != self->peers_.end())
            peer->second.seat.meta = meta.dump();
          self->tell_locked(reply.room, ids_of(reply.members), id,
                            PeerUpdatedEvent{reply.room, id, meta});
        }
        done({MetaStatus::updated, reply.room});
      });
}

void RedisRoomDirectory::watch(const std::string& id, const std::string& room, WatchDone done) {
  bool added = false;
  {
    std::lock_guard lock(mutex_);
    auto peer = peers_.find(id);
    if (peer == peers_.end()) return done({WatchStatus::no_such_peer, {}});
    auto& watching = peer->second.watching;
    if (std::find(watching.begin(), watching.end(), room) == watching.end()) {
      if (watching.size() >= limits_.max_watches) return done({WatchStatus::watch_limit, {}});
      watching.push_back(room);
      watchers_[room].push_back(id);
      ++watch_count_;
      added = true;
    }
  }
  // Registered before the room is read, so no presence event falls between.
  scripts_.watch(room, true,
                 [self = shared_from_this(), id, room, added, done = std::move(done)](
                     bool ok, std::vector<ClusterMember> peers) {
                   if (ok) return done({WatchStatus::watching, ids_of(peers), metas_of(peers)});
                   // Redis unreachable: an empty `watching` would say the room is
                   // empty. Nothing changed: a new watch is taken back, as a join is.
                   if (added) self->drop_watch(id, room);
                   done({WatchStatus::unavailable, {}});
                 });
}

void RedisRoomDirectory::drop_watch(const std::string& id, const std::string& room) {
  std::lock_guard lock(mutex_);
  if (auto peer = peers_.find(id); peer != peers_.end()) {
    auto& watching = peer->second.watching;
    auto pos = std::find(watching.begin(), watching.end(), room);
    if (pos == watching.end()) return;
    watching.erase(pos);
  } else {
    return;  // the peer is gone, and its watches with it
  }
  auto found = watchers_.find(room);
  if (found == watchers_.end()) return;
  std::erase(found->second, id);
  --watch_count_;
  if (found->second.empty()) watchers_.erase(found);
}

void RedisRoomDirectory::unwatch(const std::string& id, const std::string& room,
                                 std::function<void(bool)> done) {
  bool last = false;
  {
    std::lock_guard lock(mutex_);
    auto peer = peers_.find(id);
    if (peer == peers_.end()) return done(false);
    auto& watching = peer->second.watching;
    auto pos = std::find(watching.begin(), watching.end(), room);
    if (pos == watching.end()) return done(false);
    watching.erase(pos);
    auto& room_watchers = watchers_[room];
    std::erase(room_watchers, id);
    --watch_count_;
    if (room_watchers.empty()) {
      watchers_.erase(room);
      last = true;
    }
  }
  if (last) scripts_.watch(room, false, [](bool, std::vector<ClusterMember>) {});
  done(true);
}

void RedisRoomDirectory::leave(const std::string& id, LeaveDone done) {
  scripts_.leave(id, "leave",
                 [self = shared_from_this(), id, done = std::move(done)](ClusterLeave reply) {
                   if (reply.failed || reply.room.empty()) return done(std::nullopt);
                   {
                     std::lock_guard lock(self->mutex_);
                     if (auto peer = self->peers_.find(id); peer != self->peers_.end()) {
                       peer->second.room.clear();
                       peer->second.seat = {};
                     }
                     self->unseat_locked(reply.room, id);
                     self->tell_locked(reply.room, ids_of(reply.remaining), id,
                                       PeerLeftEvent{reply.room, id, LeaveReason::leave});
                   }
                   done(reply.room);
                 });
}

RoomDirectory::RelayStatus RedisRoomDirectory::relay(const std::string& id, const std::string* to,
                                                     RelayDraft draft) {
  std::unique_lock lock(mutex_);
  auto sender = peers_.find(id);
  if (sender == peers_.end() || sender->second.room.empty()) return RelayStatus::not_in_room;
  if ((sender->second.relays & relay_bit(draft.type)) == 0) return RelayStatus::forbidden;
  const std::string room = sender->second.room;
  const auto& members = rooms_[room];
  if (to && (*to == id || std::find(members.begin(), members.end(), *to) == members.end()))
    return RelayStatus::unknown_peer;
  auto message = RelayedMessage::make(draft, room, id);
  // This node's receivers first, in process; the others (on other nodes, or
  // away) through the one script that publishes and keeps.
  bool elsewhere = false;
  for (const auto& member : members) {
    if (member == id || (to && member != *to)) continue;
    if (live_here_locked(member))
      deliver_relay_locked(peers_.at(member), message);
    else
      elsewhere = true;
  }
  const std::size_t most = limits_.resume_buffer_messages;
  lock.unlock();
  if (elsewhere)
    scripts_.relay(id, to ? *to : "", most, std::string(message->type), envelope(*message),
                   [self = shared_from_this(), id](ClusterRelay reply) {
                     if (reply.status == ClusterRelay::Status::ok) {
                       self->relays_failing_ = false;
                       return;
                     }
                     self->relays_lost_.fetch_add(1);
                     // Logged once per run of failures (an outage fails them all).
                     if (!self->relays_failing_.exchange(true))
                       spdlog::warn(
                           "cluster: a relay of {} reached no other node ({}); more are counted "
                           "in parley_cluster_relays_lost_total",
                           id,
                           reply.status == ClusterRelay::Status::failed
                               ? "Redis unreachable"
                               : "the room changed under it");
                   });
  return RelayStatus::ok;
}

void RedisRoomDirectory::send_server_message(const std::string& room, const std::string* to,
                                             std::string data, ServerMessageDone done) {
  const RelayDraft draft{"server-message", data, false, RelayShape::server};
  auto message = RelayedMessage::make(draft, room, "");
  // As a relay: this node's receivers (known from its mirror of the room) at
  // once, the others through the relay script, which also checks the room and
  // `to`, counts the receivers and keeps for away ones.
  std::vector<std::string> told;
  std::size_t most;
  {
    std::lock_guard lock(mutex_);
    most = limits_.resume_buffer_messages;
    if (auto members = rooms_.find(room); members != rooms_.end()) {
      for (const auto& member : members->second) {
        if ((to && member != *to) || !live_here_locked(member)) continue;
        deliver_relay_locked(peers_.at(member), message);
        told.push_back(member);
      }
    }
  }
  scripts_.send_to_room(room, to ? *to : "", most, envelope(*message),
                        [self = shared_from_this(), message, told = std::move(told),
                         done = std::move(done)](ClusterRelay reply) {
                          using S = ClusterRelay::Status;
                          switch (reply.status) {
                            case S::ok: {
                              // Receivers here that the mirror did not know yet (a join racing
                              // with this message) get it now.
                              std::lock_guard lock(self->mutex_);
                              for (const auto& id : reply.here)
                                if (std::find(told.begin(), told.end(), id) == told.end() &&
                                    self->live_here_locked(id))
                                  self->deliver_relay_locked(self->peers_.at(id), message);
                              break;
                            }
                            case S::no_room:
                              return done({ServerMessageStatus::no_such_room});
                            case S::unknown_peer:
                              return done({ServerMessageStatus::no_such_peer});
                            case S::not_in_room:
                            case S::failed:
                              return done({ServerMessageStatus::unavailable});
                          }
                          done({ServerMessageStatus::delivered, reply.receivers});
                        });
}

void RedisRoomDirectory::end(const std::string& id, const PeerLink* link) {
  {
    std::lock_guard lock(mutex_);
    auto peer = peers_.find(id);
    if (peer == peers_.end() || peer->second.link.get() != link) return;
    forget_locked(id);
  }
  scripts_.end(id, "disconnect", [self = shared_from_this(), id](ClusterLeave reply) {
    if (reply.failed || reply.room.empty()) return;
    std::lock_guard lock(self->mutex_);
    self->tell_locked(reply.room, ids_of(reply.remaining), id,
                      PeerLeftEvent{reply.room, id, LeaveReason::disconnect});
  });
}

void RedisRoomDirectory::lost(const std::string& id, PeerLink* link) {
  double grace;
  bool keep;
  {
    std::lock_guard lock(mutex_);
    auto peer = peers_.find(id);
    if (peer == peers_.end() || peer->second.link.get() != link) return;
    grace = limits_.resume_grace;
    keep = peer->second.resumable && grace > 0;
    end_watches_locked(peer->second, id);
    if (keep) {
      // What the connection had not written is held, and whatever still
      // arrives here for the peer, until the seal marker says the rest
      // waits in Redis.
      for (const auto& message : link->take_unsent())
        peer->second.held.push_back(envelope(*message));
      peer->second.link.reset();
      peer->second.sealing = true;
    } else {
      forget_locked(id);
    }
  }
  if (keep) {
    scripts_.lost(id, grace, [id](bool ok) {
      if (!ok) spdlog::warn("cluster: peer {} could not be marked away", id);
    });
    return;
  }
  const LeaveReason reason = link->resumable() ? LeaveReason::timeout : LeaveReason::disconnect;
  scripts_.end(id, std::string(to_string(reason)),
               [self = shared_from_this(), id, reason](ClusterLeave reply) {
                 if (reply.failed || reply.room.empty()) return;
                 std::lock_guard lock(self->mutex_);
                 self->tell_locked(reply.room, ids_of(reply.remaining), id,
                                   PeerLeftEvent{reply.room, id, reason});
               });
}

void RedisRoomDirectory::resume(const std::string& token, const std::string& provisional_id,
                                std::shared_ptr<PeerLink> link, ResumeDone done) {
  {
    std::lock_guard lock(mutex_);
    ++claims_in_flight_;
  }
  claim(token, provisional_id, std::move(link), std::move(done), 0);
}

void RedisRoomDirectory::claim(std::string token, std::string provisional_id,
                               std::shared_ptr<PeerLink> link, ResumeDone done, unsigned attempt) {
  std::string new_token = random_resume_token();
  scripts_.claim(
      token, new_token, provisional_id,
      [self = shared_from_this(), token, provisional_id, link, done = std::move(done), attempt,
       new_token](ClusterClaim reply) mutable {
        using S = ClusterClaim::Status;
        if ((reply.status == S::wait && attempt < kClaimAttempts) || reply.status == S::retry) {
          auto backplane = self->backplane_.lock();
          if (!backplane) {
            self->claim_finished();
            return done(std::nullopt);
          }
          auto timer = std::make_shared<boost::asio::steady_timer>(backplane->executor());
          timer->expires_after(kClaimRetry);
          timer->async_wait([self, timer, token = std::move(token),
                             provisional_id = std::move(provisional_id), link = std::move(link),
                             done = std::move(done), attempt](boost::system::error_code) mutable {
            self->claim(std::move(token), std::move(provisional_id), std::move(link),
                        std::move(done), attempt + 1);
          });
          return;
        }
        std::optional<Resumed> resumed;
        std::vector<NodeEvent> early;
        {
          std::lock_guard lock(self->mutex_);
          if (reply.status == S::resumed) {
            self->forget_locked(provisional_id);
            // Its old connection here, if still open, loses to the new one now;
            // the `superseded` the claim published for this node is then spent.
            bool supersede_spent = false;
            if (auto old = self->peers_.find(reply.id);
                old != self->peers_.end() && old->second.link && old->second.link != link) {
              old->second.link->superseded();
              self->forget_locked(reply.id, false);
              supersede_spent = true;
            }
            LocalPeer peer;
            peer.supersede_spent = supersede_spent;
            // Relayed messages wait until the old connection handed over
            // what it had not written (hand_over), which goes first. When the
            // claim's own `superseded` event came first, the hand-over may be
            // in already.
            peer.awaiting_hand_over = supersede_spent;
            std::vector<SharedMessage> handed;
            if (auto early = self->superseded_early_.find(reply.id);
                !supersede_spent && early != self->superseded_early_.end()) {
              if (early->second)
                handed = std::move(*early->second);
              else
                peer.awaiting_hand_over = true;
              self->superseded_early_.erase(early);
            }
            peer.link = link;
            peer.token = new_token;
            peer.resumable = link->resumable();
            peer.room = reply.room;
            peer.seat = reply.seat;
            peer.relays = relays_from(reply.seat.relays);
            auto& stored = self->peers_[reply.id] = std::move(peer);
            for (auto& message : handed) self->deliver_relay_locked(stored, std::move(message));
            resumed.emplace();
            resumed->id = reply.id;
            if (!reply.room.empty()) {
              resumed->room = reply.room;
              resumed->peers = ids_of(reply.others);
              resumed->meta = metas_of(reply.others);
              auto members = resumed->peers;
              members.push_back(reply.id);
              self->rooms_[reply.room] = std::move(members);
            }
            resumed->resume_token = new_token;
            for (const auto& text : reply.kept)
              if (auto message = from_envelope(text)) resumed->kept.push_back(std::move(message));
            if (auto it = self->early_.find(reply.id); it != self->early_.end()) {
              early = std::move(it->second);
              self->early_.erase(it);
            }
          }
          if (--self->claims_in_flight_ == 0) {
            self->early_.clear();
            self->superseded_early_.clear();
          }
        }
        // The session holds its inbox until it has handled the
        // completion, so what arrived early follows the kept messages.
        for (const auto& event : early) self->on_event(event);
        done(std::move(resumed));
      });
}

void RedisRoomDirectory::claim_finished() {
  std::lock_guard lock(mutex_);
  if (--claims_in_flight_ == 0) {
    early_.clear();
    superseded_early_.clear();
  }
}

void RedisRoomDirectory::hand_over(const std::string& id, std::vector<SharedMessage> unsent) {
  // A connection superseded here by a resume on this node: what it had not
  // written goes to the new connection first, then what waited meanwhile.
  // (Superseded by a resume on another node, a half-open connection's
  // unwritten messages are lost: docs/cluster.md.)
  std::lock_guard lock(mutex_);
  auto peer = peers_.find(id);
  if (auto early = superseded_early_.find(id);
      early != superseded_early_.end() &&
      (peer == peers_.end() || !peer->second.awaiting_hand_over)) {
    // Superseded by the event before this node's claim replied: kept for it.
    early->second = std::move(unsent);
    return;
  }
  if (peer == peers_.end() || !peer->second.awaiting_hand_over) return;
  peer->second.awaiting_hand_over = false;
  auto waiting = std::exchange(peer->second.waiting, {});
  for (auto& message : unsent) deliver_relay_locked(peer->second, std::move(message));
  for (auto& message : waiting) deliver_relay_locked(peer->second, std::move(message));
}

void RedisRoomDirectory::on_event(const NodeEvent& event) {
  std::lock_guard lock(mutex_);
  using K = NodeEvent::Kind;
  // Events for peers not here while a claim is in flight wait for its reply.
  if (claims_in_flight_ > 0 && (event.kind == K::relay || event.kind == K::joined ||
                                event.kind == K::left || event.kind == K::updated)) {
    for (const auto& id : event.to) {
      if (peers_.contains(id)) continue;
      NodeEvent mine = event;  // replayed for this one peer only
      mine.to = {id};
      early_[id].push_back(std::move(mine));
    }
  }
  switch (event.kind) {
    case K::relay: {
      SharedMessage message;
      for (const auto& id : event.to) {
        auto peer = peers_.find(id);
        if (peer == peers_.end()) continue;
        if (peer->second.sealing) {
          peer->second.held.push_back(event.text);
        } else if (peer->second.link) {
          if (!message) message = from_envelope(event.text);
          if (message) deliver_relay_locked(peer->second, message);
        }
      }
      break;
    }
    case K::joined: {
      if (rooms_.contains(event.room)) {
        auto& members = rooms_[event.room];
        if (std::find(members.begin(), members.end(), event.id) == members.end())
          members.push_back(event.id);
      }
      tell_locked(event.room, event.to, event.id,
                  PeerJoinedEvent{event.room, event.id, meta_from(event.meta)});
      break;
    }
    case K::left: {
      unseat_locked(event.room, event.id);
      if (auto reason = reason_from(event.reason))
        tell_locked(event.room, event.to, event.id, PeerLeftEvent{event.room, event.id, *reason});
      break;
    }
    case K::updated:
      tell_locked(event.room, event.to, event.id,
                  PeerUpdatedEvent{event.room, event.id, meta_from(event.meta)});
      break;
    case K::removed: {
      auto peer = peers_.find(event.id);
      if (peer == peers_.end()) break;
      peer->second.room.clear();
      peer->second.seat = {};
      unseat_locked(event.room, event.id);
      if (peer->second.link)
        peer->second.link->deliver(RemovedEvent{event.room, LeaveReason::kicked});
      break;
    }
    case K::seal: {
      auto peer = peers_.find(event.id);
      if (peer == peers_.end() || !peer->second.sealing) break;
      std::vector<std::string> held = std::move(peer->second.held);
      forget_locked(event.id, false);
      ++seals_in_flight_;
      scripts_.seal(event.id, limits_.resume_buffer_messages, std::move(held),
                    [self = shared_from_this(), id = event.id](bool ok) {
                      if (!ok) spdlog::warn("cluster: the hand-over of peer {} failed", id);
                      std::lock_guard lock(self->mutex_);
                      --self->seals_in_flight_;
                    });
      break;
    }
    case K::superseded: {
      auto peer = peers_.find(event.id);
      if (peer == peers_.end()) break;
      if (std::exchange(peer->second.supersede_spent, false)) break;
      if (peer->second.link) {
        peer->second.link->superseded();
        // Perhaps by a claim of this node whose reply is still on its way.
        if (claims_in_flight_ > 0) superseded_early_[event.id] = std::nullopt;
      }
      forget_locked(event.id, false);
      break;
    }
    case K::hook:  // the backplane hands these to on_hook
      break;
  }
}

// A change this node made, as its script numbered it (lib.lua `hook`). They
// arrive in the order the scripts ran, on the subscriber's strand.
void RedisRoomDirectory::on_hook(const NodeEvent& event) {
  if (!lifecycle_ || event.seq <= 0) return;
  const auto seq = static_cast<std::uint64_t>(event.seq);
  const std::string& type = event.type;
  if (type == "room-started") {
    lifecycle_->room_started(event.room, seq);
  } else if (type == "room-finished") {
    lifecycle_->room_finished(event.room, seq);
  } else if (type == "peer-joined") {
    lifecycle_->peer_joined(event.room, event.id, meta_from(event.meta), seq);
  } else if (type == "peer-updated") {
    lifecycle_->peer_updated(event.room, event.id, meta_from(event.meta), seq);
  } else if (type == "peer-left") {
    if (auto reason = reason_from(event.reason))
      lifecycle_->peer_left(event.room, event.id, meta_from(event.meta), *reason, seq);
  } else {
    spdlog::warn("cluster: a webhook event of an unknown type {:?} was ignored", type);
  }
}

// Redis lost this node's record (restarted empty, or the node was cut off past
// its heartbeat TTL and reaped): register the live peers again, seats, join
// order, metadata and watches included. A peer resumed on another node
// meanwhile goes quietly.
void RedisRoomDirectory::restore() {
  std::vector<ClusterRestoredPeer> live;
  std::vector<std::string> watched;
  {
    std::lock_guard lock(mutex_);
    for (const auto& [id, peer] : peers_)
      if (peer.link)
        live.push_back({id, peer.token, peer.resumable, peer.room, peer.seq, peer.seat});
    for (const auto& [room, ids] : watchers_) watched.push_back(room);
  }
  for (const auto& room : watched)
    scripts_.watch(room, true, [](bool, std::vector<ClusterMember>) {});
  scripts_.restore(live, [self = shared_from_this()](bool ok, std::vector<std::string> conflicts) {
    if (!ok) return;  // the next heartbeat asks again
    std::lock_guard lock(self->mutex_);
    for (const auto& id : conflicts) {
      auto peer = self->peers_.find(id);
      if (peer == self->peers_.end()) continue;
      if (peer->second.link) peer->second.link->superseded();
      self->forget_locked(id, false);
    }
  });
}

void RedisRoomDirectory::rooms(std::function<void(std::vector<RoomInfo>)> done) const {
  scripts_.rooms([done = std::move(done)](bool, std::vector<ClusterRoom> rooms) {
    std::vector<RoomInfo> result;
    for (auto& room : rooms) result.push_back(room_info(std::move(room)));
    done(std::move(result));
  });
}

void RedisRoomDirectory::room(const std::string& name,
                              std::function<void(std::optional<RoomInfo>)> done) const {
  scripts_.room(name, [done = std::move(done)](bool, std::optional<ClusterRoom> room) {
    if (!room) return done(std::nullopt);
    done(room_info(std::move(*room)));
  });
}

void RedisRoomDirectory::kick_room(const std::string& name, std::function<void(bool)> done) {
  scripts_.room(name, [self = shared_from_this(), done = std::move(done)](
                          bool, std::optional<ClusterRoom> room) {
    if (!room || room->peers.empty()) return done(false);
    for (const auto& id : room->peers) self->kick_peer(id, [](bool) {});
    done(true);
  });
}

void RedisRoomDirectory::kick_peer(const std::string& id, std::function<void(bool)> done) {
  scripts_.leave(id, "kicked",
                 [self = shared_from_this(), id, done = std::move(done)](ClusterLeave reply) {
                   if (reply.failed || reply.room.empty()) return done(false);
                   {
                     std::lock_guard lock(self->mutex_);
                     if (auto peer = self->peers_.find(id); peer != self->peers_.end()) {
                       // Here: this node tells it (the script told another node of its own).
                       peer->second.room.clear();
                       peer->second.seat = {};
                       if (peer->second.link)
                         peer->second.link->deliver(RemovedEvent{reply.room, LeaveReason::kicked});
                     }
                     self->unseat_locked(reply.room, id);
                     self->tell_locked(reply.room, ids_of(reply.remaining), id,
                                       PeerLeftEvent{reply.room, id, LeaveReason::kicked});
                   }
                   done(true);
                 });
}

std::size_t RedisRoomDirectory::hand_overs_pending() const {
  std::lock_guard lock(mutex_);
  return seals_in_flight_ +
         static_cast<std::size_t>(std::count_if(
             peers_.begin(), peers_.end(), [](const auto& entry) { return entry.second.sealing; }));
}

std::string RedisRoomDirectory::render_metrics() const {
  return "# HELP parley_cluster_relays_lost_total Relays that reached no other node (Redis "
         "unreachable, or the room changed under the relay).\n"
         "# TYPE parley_cluster_relays_lost_total counter\n"
         "parley_cluster_relays_lost_total " +
         std::to_string(relays_lost_.load()) + "\n";
}

std::optional<std::string> RedisRoomDirectory::room_of(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto peer = peers_.find(id);
  if (peer == peers_.end() || peer->second.room.empty()) return std::nullopt;
  return peer->second.room;
}

DirectoryCounts RedisRoomDirectory::counts() const {
  DirectoryCounts counts;
  {
    std::lock_guard lock(mutex_);
    counts.rooms = rooms_.size();
    counts.connected = peers_.size();
    counts.watches = watch_count_;
    for (const auto& [id, peer] : peers_)
      if (!peer.room.empty()) ++counts.seated;
  }
  // rooms and seated are the cluster's (cluster-v1.md: parley_rooms and
  // parley_peers of any node show the whole cluster, never a cache), read from
  // Redis now. This waits for the backplane's thread, which is never the
  // caller's (the admin API's); this node's share while Redis is unreachable.
  auto answer = std::make_shared<std::promise<std::pair<std::size_t, std::size_t>>>();
  auto cluster = answer->get_future();
  scripts_.counts([answer](bool ok, std::size_t rooms, std::size_t seated) {
    if (ok)
      answer->set_value({rooms, seated});
    else
      answer->set_exception(std::make_exception_ptr(std::runtime_error("no counts")));
  });
  if (cluster.wait_for(std::chrono::seconds(2)) == std::future_status::ready) {
    try {
      std::tie(counts.rooms, counts.seated) = cluster.get();
    } catch (const std::exception&) {
    }
  }
  return counts;
}

void RedisRoomDirectory::clear() {
  std::lock_guard lock(mutex_);
  peers_.clear();
  rooms_.clear();
  watchers_.clear();
  watch_count_ = 0;
  early_.clear();
}

void RedisRoomDirectory::tell_locked(const std::string& room, const std::vector<std::string>& ids,
                                     const std::string& subject, const Event& event) {
  for (const auto& id : ids)
    if (id != subject && live_here_locked(id)) peers_.at(id).link->deliver(event);
  auto watchers = watchers_.find(room);
  if (watchers == watchers_.end()) return;
  for (const auto& id : watchers->second) {
    // A watcher that is in the room heard it as a member; once is enough.
    if (id != subject && std::find(ids.begin(), ids.end(), id) != ids.end()) continue;
    if (live_here_locked(id)) peers_.at(id).link->deliver(event);
  }
}

// The peer is no longer on this node. `unseat`: it left its room too (else it
// keeps its seat elsewhere: away in Redis, or resumed on another node).
void RedisRoomDirectory::forget_locked(const std::string& id, bool unseat) {
  auto peer = peers_.find(id);
  if (peer == peers_.end()) return;
  end_watches_locked(peer->second, id);
  const std::string room = peer->second.room;
  peers_.erase(peer);
  if (room.empty()) return;
  if (unseat) {
    unseat_locked(room, id);
    return;
  }
  // The mirror is kept only for rooms with a peer here.
  auto it = rooms_.find(room);
  if (it != rooms_.end() &&
      std::none_of(it->second.begin(), it->second.end(),
                   [this](const std::string& m) { return peers_.contains(m); }))
    rooms_.erase(it);
}

void RedisRoomDirectory::end_watches_locked(LocalPeer& peer, const std::string& id) {
  for (const auto& room : peer.watching) {
    auto watchers = watchers_.find(room);
    if (watchers == watchers_.end()) continue;
    std::erase(watchers->second, id);
    if (watchers->second.empty()) {
      watchers_.erase(watchers);
      scripts_.watch(room, false, [](bool, std::vector<ClusterMember>) {});
    }
  }
  watch_count_ -= peer.watching.size();
  peer.watching.clear();
}

void RedisRoomDirectory::unseat_locked(const std::string& room, const std::string& id) {
  auto it = rooms_.find(room);
  if (it == rooms_.end()) return;
  std::erase(it->second, id);
  // The mirror is kept only for rooms with a peer here.
  const bool any_here = std::any_of(it->second.begin(), it->second.end(),
                                    [this](const std::string& m) { return peers_.contains(m); });
  if (!any_here) rooms_.erase(it);
}

void RedisRoomDirectory::deliver_relay_locked(LocalPeer& peer, SharedMessage message) {
  if (peer.awaiting_hand_over)
    peer.waiting.push_back(std::move(message));
  else if (peer.link)
    peer.link->deliver(RelayEvent{std::move(message)});
}

bool RedisRoomDirectory::live_here_locked(const std::string& id) const {
  auto peer = peers_.find(id);
  return peer != peers_.end() && peer->second.link && !peer->second.sealing;
}

}  // namespace parley
