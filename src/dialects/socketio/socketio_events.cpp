#include "dialects/socketio/socketio_events.hpp"

namespace parley {

namespace {

// Text that reaches a client came through a JSON parser (valid UTF-8), but room
// names and ids are written into packets from std::string: never throw on them.
std::string dump(const nlohmann::json& value) {
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

std::string socketio_event_packet(const nlohmann::json& arguments) {
  return "42" + dump(arguments);
}

std::string socketio_relay_packet(std::string_view room, std::string_view native_text) {
  nlohmann::json object = nlohmann::json::parse(native_text, nullptr, /*allow_exceptions=*/false);
  object.erase("from");
  return socketio_event_packet(nlohmann::json::array({"message", room, std::move(object)}));
}

std::string socketio_room_event_packet(std::string_view event, std::string_view room,
                                       std::string_view id) {
  return socketio_event_packet(nlohmann::json::array({event, room, id}));
}

std::string socketio_error_packet(std::string_view code, std::string_view message) {
  return socketio_event_packet(
      nlohmann::json::array({"parley-error", {{"code", code}, {"message", message}}}));
}

std::string socketio_encode_relayed(const RelayedMessage& message) {
  if (message.shape == RelayShape::signal) return socketio_relay_packet(message.room, message.text);
  // data: message(room, data); a server message: server-message(room, data).
  std::string packet =
      message.shape == RelayShape::server ? "42[\"server-message\"," : "42[\"message\",";
  packet.append(dump(message.room));
  packet.push_back(',');
  packet.append(message.text);  // valid JSON: its sender's parser said so
  packet.push_back(']');
  return packet;
}

}  // namespace parley
