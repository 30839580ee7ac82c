// What happens to rooms and seats, told by the room directory from the one
// place where it makes each change, in the order it makes them (so, per room,
// in order). Webhooks listen here; app/ wires them (app/room_webhooks.hpp).
// The in-process directory calls with the lock of the room's shard held: a
// listener only enqueues, never calls back into the directory, and is
// thread-safe (calls for rooms of different shards come from different
// threads at once).
//
// `seq` is the event's number in its room's history (integration-v1.md
// "Webhooks": 1 for room_started, then +1 per event), when the directory
// numbers them itself: the Redis directory does, so that every node agrees.
// 0: the listener numbers them in call order (the in-process directory, whose
// calls for a room come in order under that room's shard lock).
#pragma once

#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "rooms/events.hpp"

namespace parley {

class RoomLifecycle {
 public:
  virtual ~RoomLifecycle() = default;
  // A join created the room; comes before that join's peer_joined.
  virtual void room_started(const std::string& room, std::uint64_t seq) = 0;
  // The room's last seat ended; comes after that peer_left.
  virtual void room_finished(const std::string& room, std::uint64_t seq) = 0;
  // `meta`: the seat's metadata (an object, `{}` when none).
  virtual void peer_joined(const std::string& room, const std::string& peer,
                           const nlohmann::json& meta, std::uint64_t seq) = 0;
  // A seat ended: leave, disconnect, kicked, or timeout (the connection was
  // lost and not resumed within the grace). `meta` is what the seat had. A
  // resume changes no seat: nothing is called for it, nor for a lost
  // connection still in its grace.
  virtual void peer_left(const std::string& room, const std::string& peer,
                         const nlohmann::json& meta, LeaveReason reason, std::uint64_t seq) = 0;
  // The seat's metadata was replaced (update-meta).
  virtual void peer_updated(const std::string& room, const std::string& peer,
                            const nlohmann::json& meta, std::uint64_t seq) = 0;
};

}  // namespace parley
