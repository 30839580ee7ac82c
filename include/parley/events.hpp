// What the room registry hands to a peer's session. Events are immutable once
// built; a relayed message is encoded once per dialect and the buffers are shared
// by every receiver (and by a lost peer's kept-message buffer).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <variant>

namespace parley {

// The two ways a client can speak to parley. A room may mix them.
enum class Dialect { native, socketio };

// Why a peer is no longer in a room (the `reason` of `left` / `peer-left`).
enum class LeaveReason { leave, disconnect, timeout, kicked };
std::string_view to_string(LeaveReason reason);

using SharedText = std::shared_ptr<const std::string>;

// A relayed offer/answer/candidate/message.
struct RelayEvent {
  std::string type;     // for metrics: offer, answer, candidate, message
  SharedText native;    // the frame a native peer receives (`from` set)
  SharedText socketio;  // the packet a socket.io peer receives; null when none is in the room
};

struct PeerJoinedEvent {
  std::string room;
  std::string id;
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

using Event = std::variant<RelayEvent, PeerJoinedEvent, PeerLeftEvent, RemovedEvent>;

}  // namespace parley
