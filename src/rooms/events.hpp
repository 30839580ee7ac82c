// What the room registry hands to a peer's session. Events are immutable once
// built; a relayed message is encoded once per dialect and the buffers are shared
// by every receiver (and by a lost peer's kept-message buffer).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

#include "base/shared_text.hpp"

namespace parley {

// The two ways a client can speak to parley. A room may mix them.
enum class Dialect { native, socketio };

// Why a peer is no longer in a room (the `reason` of `left` / `peer-left`).
enum class LeaveReason { leave, disconnect, timeout, kicked };
std::string_view to_string(LeaveReason reason);

// The relay types, as a bit set: what a join token's `relay` grant lets a peer send.
enum RelayBits : std::uint8_t {
  kRelayOffer = 1,
  kRelayAnswer = 2,
  kRelayCandidate = 4,
  kRelayMessage = 8,
  kRelayAll = 15,
};
// The bit of a relay type name ("offer", ...), or 0 for any other name.
inline std::uint8_t relay_bit(std::string_view type) {
  if (type == "offer") return kRelayOffer;
  if (type == "answer") return kRelayAnswer;
  if (type == "candidate") return kRelayCandidate;
  if (type == "message") return kRelayMessage;
  return 0;
}

// A relayed offer/answer/candidate/message.
struct RelayEvent {
  std::string type;     // for metrics: offer, answer, candidate, message
  SharedText native;    // the frame a native peer receives (`from` set)
  SharedText socketio;  // the packet a socket.io peer receives; null when none is in the room
};

// Presence events reach the peers of `room` and the connections watching it.
struct PeerJoinedEvent {
  std::string room;
  std::string id;
  nlohmann::json meta;  // the joiner's metadata (an object, `{}` when none)
};

struct PeerLeftEvent {
  std::string room;
  std::string id;
  LeaveReason reason;
};

// The receiving peer itself was removed from `room` (an admin kick).
struct RemovedEvent {
  std::string room;
  LeaveReason reason;
};

// A peer of `room` changed its metadata.
struct PeerUpdatedEvent {
  std::string room;
  std::string id;
  nlohmann::json meta;
};

using Event =
    std::variant<RelayEvent, PeerJoinedEvent, PeerLeftEvent, RemovedEvent, PeerUpdatedEvent>;

}  // namespace parley
