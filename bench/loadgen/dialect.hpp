// How one family of servers spells joining, leaving and relaying, and how the
// load generator reads their answers:
//   native  parley's native dialect, protocol-v1.md (also the Node `ws` relay;
//           `v1` is accepted as an old name of it);
//   sio   the classic socket.io 1:1 signaling events over Engine.IO 4 (WebSocket);
//   bare  the bare relays: "J<room>" / "L" answered by "j" / "l", every other
//         message forwarded untouched (over WebSocket or length-prefixed TCP).
// Every relayed message carries its origin (the sending client's index), a
// per-sender sequence number and its intended send time, so the receiver can
// prove that nothing was lost, duplicated, reordered or mis-attributed.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace loadgen {

enum class Kind {
  kReady,        // the session can join (native welcome, socket.io connect)
  kJoined,       // our join succeeded
  kPeerJoined,   // another client joined our room
  kFull,         // our join was refused: the room is full
  kLeft,         // our leave succeeded
  kPeerLeft,     // another client left our room
  kRelayed,      // a message relayed from a room-mate
  kIgnored,      // nothing for the scenario (pong, engine.io ping, ...)
  kServerError,  // the server reported an error
  kMalformed,    // not what the dialect allows here
};

struct RelayedFields {
  std::int64_t origin = -1;
  std::int64_t seq = -1;
  std::int64_t sent_at = -1;  // ns on the generator's clock
  std::string_view from;      // native: the server's `from` (empty when absent)
  std::string_view room;      // sio: the room named by the event
};

struct Incoming {
  Kind kind = Kind::kIgnored;
  RelayedFields relayed;  // views into the parsed text
  std::string id;         // kReady/kJoined: own peer id; kPeerJoined/kPeerLeft: the other's
  std::vector<std::string> peers;  // kJoined (native): the others already in the room
  std::string detail;              // kServerError / kMalformed: what it was
  std::string reply;               // a message the dialect answers at once (socket.io ping)
};

struct RelayMessage {
  std::string_view room;
  std::int64_t origin = 0;
  std::int64_t seq = 0;
  std::int64_t sent_at = 0;
  std::size_t size = 200;  // total length of the message on the wire (payload bytes)
  std::string_view to;     // native only: address one peer (empty: the whole room)
};

class Dialect {
 public:
  virtual ~Dialect() = default;
  virtual std::string_view name() const = 0;
  virtual std::string_view default_path() const = 0;
  // bare: usable as soon as the transport is open; native/sio wait for a greeting.
  virtual bool ready_on_open() const = 0;
  // native: peer ids in welcome/joined/peer-joined and `from` on relayed messages.
  virtual bool reports_peer_ids() const = 0;
  // native/sio: earlier room-mates hear of each join (peer-joined / otherjoin).
  virtual bool announces_joins() const = 0;
  virtual std::string join(std::string_view room) const = 0;
  virtual std::string leave(std::string_view room) const = 0;
  virtual std::string relay(const RelayMessage& message) const = 0;
  // `strict`: also check, with a full JSON parse, that a relayed message is
  // exactly what was sent plus the server's `from` (the smoke test's mode).
  virtual Incoming parse(std::string_view text, bool strict) const = 0;
};

std::unique_ptr<Dialect> make_dialect(std::string_view name);

// The relayed payload object {"org":..,"seq":..,"ts":..,"pad":"xx.."}, padded
// so that `prefix + object + suffix` is `size` bytes long when possible.
std::string make_relay_text(std::string_view prefix, const RelayMessage& message,
                            std::string_view suffix);

// Finds the payload fields anywhere in `text` without parsing it (fast path):
// false when `text` holds no "seq" field.
bool scan_relayed(std::string_view text, RelayedFields& fields);

}  // namespace loadgen
