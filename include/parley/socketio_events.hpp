// The socket.io packets that carry parley's room events to socket.io peers
// (an Engine.IO `4` message holding a Socket.IO `2` EVENT on the default
// namespace). Encoded here so that a native session can build the packet for
// socket.io room-mates once, when the registry asks for it.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parley {

// `42[...arguments]`; `arguments` must be a JSON array (event name first).
std::string socketio_event_packet(const nlohmann::json& arguments);

// What a socket.io peer receives for a native peer's relayed object:
// `message(room, object)`, the object without `from`.
std::string socketio_relay_packet(std::string_view room, const nlohmann::json& native_document);

}  // namespace parley
