// The socket.io packets that carry parley's room events to socket.io peers
// (an Engine.IO `4` message holding a Socket.IO `2` EVENT on the default
// namespace). Encoded here so that a native session can build the packet for
// socket.io room-mates once, when the registry asks for it.
//
// The classic 1:1 signaling events (protocol-v1 "socket.io dialect"):
//   joined(room, id)  otherjoin(room, id)  full(room, id)
//   leaved(room, id)  bye(room, id)        message(room, data)
// plus parley's own `parley-error({code, message})`.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parley {

// `42[...arguments]`; `arguments` must be a JSON array (event name first).
std::string socketio_event_packet(const nlohmann::json& arguments);

// What a socket.io peer receives for a native peer's relayed message (its text,
// already validated as a client message): `message(room, object)`, the object
// without `from`.
std::string socketio_relay_packet(std::string_view room, std::string_view native_text);

// `42[event, room, id]`: joined, otherjoin, full, leaved, bye.
std::string socketio_room_event_packet(std::string_view event, std::string_view room,
                                       std::string_view id);

// `42["message", room, data]`: what socket.io room-mates receive when a socket.io
// peer emits message(room, data); `data` is passed on as the sender wrote it.
std::string socketio_message_packet(std::string_view room, const nlohmann::json& data);

// `42["parley-error", {"code": code, "message": message}]`: the answer to a
// request that the native protocol would answer with `error`.
std::string socketio_error_packet(std::string_view code, std::string_view message);

// The frame native room-mates receive when a socket.io peer emits
// message(room, data): `data` itself with `from` set when it is an object,
// otherwise {"type": "message", "data": data, "from": from}.
std::string native_frame_from_socketio(const nlohmann::json& data, std::string_view from);

}  // namespace parley
