// The socket.io packets that carry parley's room events to socket.io peers
// (an Engine.IO `4` message holding a Socket.IO `2` EVENT on the default
// namespace).
//
// The classic 1:1 signaling events (protocol-v1 "socket.io dialect"):
//   joined(room, id)  otherjoin(room, id)  full(room, id)
//   leaved(room, id)  bye(room, id)        message(room, data)
// plus parley's own `parley-error({code, message})`.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rooms/events.hpp"

namespace parley {

// `42[...arguments]`; `arguments` must be a JSON array (event name first).
std::string socketio_event_packet(const nlohmann::json& arguments);

// What a socket.io peer receives for a native peer's relayed message (its text,
// already validated as a client message): `message(room, object)`, the object
// without `from`.
std::string socketio_relay_packet(std::string_view room, std::string_view native_text);

// The slot of the socket.io encoding in a relayed message's memo.
inline constexpr std::size_t kSocketioEncoding = 1;

// The packet socket.io peers receive for a relayed message: `message(room,
// data)`, where data is the sender's text as it was written (a native
// signaling message keeps its members' order), without a `from` the sender
// wrote (socketio_relay_packet), or `server-message(room, data)`.
std::string socketio_encode_relayed(const RelayedMessage& message);

// `42[event, room, id]`: joined, otherjoin, full, leaved, bye.
std::string socketio_room_event_packet(std::string_view event, std::string_view room,
                                       std::string_view id);

// `42[event, room, id, meta]`: otherjoin (classic clients read the first two),
// peer-updated.
std::string socketio_peer_event_packet(std::string_view event, std::string_view room,
                                       std::string_view id, const nlohmann::json& meta);

// `42["parley-error", {"code": code, "message": message}]`: the answer to a
// request that the native protocol would answer with `error`.
std::string socketio_error_packet(std::string_view code, std::string_view message);

}  // namespace parley
