#include "dialects/socketio/socketio_events.hpp"

#include "base/json_writer.hpp"

namespace parley {

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

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
  JsonWriter packet("42");
  packet.begin_array().string(event).string(room).string(id);
  return std::move(packet.end_array()).take();
}

std::string socketio_peer_event_packet(std::string_view event, std::string_view room,
                                       std::string_view id, const nlohmann::json& meta) {
  JsonWriter packet("42");
  packet.begin_array().string(event).string(room).string(id).value(meta);
  return std::move(packet.end_array()).take();
}

std::string socketio_error_packet(std::string_view code, std::string_view message) {
  return socketio_event_packet(
      nlohmann::json::array({"parley-error", {{"code", code}, {"message", message}}}));
}

std::string socketio_encode_relayed(const RelayedMessage& message) {
  // A native signaling message that names its own `from` loses it, which takes
  // a parse; any other text goes into the packet as its sender wrote it.
  if (message.shape == RelayShape::signal && message.has_from)
    return socketio_relay_packet(message.room, message.text);
  std::string_view data = message.text;
  // A native client may start its text with a byte order mark (the native
  // parser accepts one); inside an array it would not be JSON.
  if (data.starts_with(kByteOrderMark)) data.remove_prefix(kByteOrderMark.size());
  // data: message(room, data); a server message: server-message(room, data).
  const std::string_view head =
      message.shape == RelayShape::server ? "42[\"server-message\"," : "42[\"message\",";
  std::string packet;
  packet.reserve(head.size() + json_string_size(message.room) + data.size() + 2);
  packet.append(head);
  append_json_string(packet, message.room);
  packet.push_back(',');
  packet.append(data);  // valid JSON: its sender's parser said so
  packet.push_back(']');
  return packet;
}

}  // namespace parley
