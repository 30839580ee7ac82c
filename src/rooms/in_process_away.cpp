// The in-process directory's away peers: a lost connection, its resume by
// another one, the hand-over of a superseded link's messages, and the expiry
// of the grace period. An away peer stays owned by the same shard (only a join
// moves a peer), which keeps it in that shard's away set.
#include <algorithm>

#include "base/ids.hpp"
#include "rooms/in_process_directory.hpp"

namespace parley {

void InProcessDirectory::lost(const std::string& id, PeerLink* link) {
  std::shared_ptr<PeerLink> old;
  std::vector<std::string> watching;
  {
    Owned owned = own(id);
    if (!owned || owned.peer().link.get() != link) return;
    Peer& peer = owned.peer();
    Shard& shard = *owned.shard;
    if (!peer.resumable || shard.limits.resume_grace <= 0) {
      // No resume for this peer: a lost connection ends it. Without a grace
      // there is nothing to wait for, so the others learn of it as a timeout
      // at once.
      if (!peer.room.empty())
        remove_from_room_locked(shard, peer,
                                peer.resumable ? LeaveReason::timeout : LeaveReason::disconnect,
                                false, true);
      Retired retired = retire_locked(owned);
      owned = {};
      return finish(std::move(retired));
    }
    // Watches end with the connection; a resume does not bring them back.
    watching = std::move(peer.watching);
    peer.watching.clear();
    for (auto& message : link->take_unsent()) keep_locked(shard.limits, peer, std::move(message));
    old = std::move(peer.link);
    peer.away_deadline = clock_.now() + shard.limits.resume_grace;
    shard.away.insert(&peer);
  }
  end_watches(id, old, watching);
}

void InProcessDirectory::resume(const std::string& token, const std::string& provisional_id,
                                std::shared_ptr<PeerLink> link, ResumeDone done) {
  std::shared_ptr<Peer> found;
  {
    Shard& tokens = shard_for(token);
    std::lock_guard lock(tokens.mutex);
    if (auto it = tokens.tokens.find(token); it != tokens.tokens.end()) found = it->second;
  }
  // Its own fresh token: nothing to resume.
  if (!found || found->id == provisional_id) return done(std::nullopt);

  // The next token is in the token index before the peer carries it, so that
  // an end of the peer right after the takeover finds it there to erase.
  const std::string next_token = random_resume_token();
  Shard& next_shard = shard_for(next_token);
  {
    std::lock_guard lock(next_shard.mutex);
    next_shard.tokens.emplace(next_token, found);
  }

  std::optional<Resumed> result;
  std::shared_ptr<PeerLink> old;
  std::vector<std::string> watching;
  if (Owned owned = own(found)) {
    Peer& peer = owned.peer();
    // A concurrent resume with the same token took it first, or expiry is due.
    const bool valid =
        peer.resume_token == token && (peer.link || clock_.now() < peer.away_deadline);
    if (valid) {
      if (peer.link) {
        // A half-open connection loses to the new one; its unsent messages
        // follow.
        peer.link->superseded();
        ++peer.handovers_pending;
      }
      watching = std::move(peer.watching);  // the old connection's watches end with it
      peer.watching.clear();
      owned.shard->away.erase(&peer);
      peer.resume_token = next_token;
      old = std::exchange(peer.link, std::move(link));

      result.emplace();
      result->id = peer.id;
      if (!peer.room.empty()) {
        result->room = peer.room;
        const auto& members = owned.shard->rooms.at(peer.room).peers;
        for (const Peer* p : members)
          if (p != &peer) {
            result->peers.push_back(p->id);
            result->meta[p->id] = p->meta;
          }
      }
      result->resume_token = next_token;
      if (peer.handovers_pending == 0) {
        result->kept.swap(peer.kept);
        peer.kept_bytes = 0;
      }  // else the kept messages go out after what the taken-over link hands over
    }
  }

  // Whichever token the peer does not carry leaves the index.
  const std::string& stale = result ? token : next_token;
  {
    Shard& shard = shard_for(stale);
    std::lock_guard lock(shard.mutex);
    if (auto it = shard.tokens.find(stale); it != shard.tokens.end() && it->second == found)
      shard.tokens.erase(it);
  }
  if (!result) return done(std::nullopt);
  end_watches(found->id, old, watching);
  old.reset();

  // The new connection's provisional identity is dropped; it never joined a
  // room because resume must be its first message.
  Retired provisional;
  if (Owned owned = own(provisional_id); owned && owned.peer().room.empty())
    provisional = retire_locked(owned);
  if (provisional.keep) finish(std::move(provisional));
  done(std::move(result));
}

void InProcessDirectory::hand_over(const std::string& id, std::vector<SharedMessage> unsent) {
  Owned owned = own(id);
  if (!owned || owned.peer().handovers_pending == 0) return;  // ended meanwhile
  Peer& peer = owned.peer();
  const DirectoryLimits& limits = owned.shard->limits;
  --peer.handovers_pending;
  // The handed-over messages are older than those kept since the takeover.
  std::vector<SharedMessage> newer;
  newer.swap(peer.kept);
  peer.kept_bytes = 0;
  for (auto& message : unsent) keep_locked(limits, peer, std::move(message));
  for (auto& message : newer) keep_locked(limits, peer, std::move(message));
  if (peer.handovers_pending > 0 || !peer.link) return;  // away: kept for the next resume
  for (auto& message : peer.kept) peer.link->deliver(RelayEvent{std::move(message)});
  peer.kept.clear();
  peer.kept_bytes = 0;
}

std::size_t InProcessDirectory::expire() {
  std::size_t ended = 0;
  std::vector<Retired> retired;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    Shard& shard = shards_[i];
    {
      std::unique_lock lock(shard.mutex);
      if (shard.away.empty()) continue;
      const double now = clock_.now();
      std::vector<Peer*> due;
      for (Peer* peer : shard.away)
        if (now >= peer->away_deadline) due.push_back(peer);
      for (Peer* peer : due) {
        if (!peer->room.empty())
          remove_from_room_locked(shard, *peer, LeaveReason::timeout, false, true);
        // The shard owns every peer in its away set: an Owned without a
        // lookup, its lock held by `lock`.
        Owned owned{peer->shared_from_this(), {}, &shard};
        retired.push_back(retire_locked(owned));
      }
    }
    ended += retired.size();
    for (auto& r : retired) finish(std::move(r));
    retired.clear();
  }
  return ended;
}

std::optional<double> InProcessDirectory::next_deadline() const {
  std::optional<double> next;
  for (std::size_t i = 0; i < shard_count_; ++i) {
    std::lock_guard lock(shards_[i].mutex);
    for (const Peer* peer : shards_[i].away)
      if (!next || peer->away_deadline < *next) next = peer->away_deadline;
  }
  if (next) return std::max(0.0, *next - clock_.now());
  return std::nullopt;
}

}  // namespace parley
