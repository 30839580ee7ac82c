#include "parley/socketio_events.hpp"

namespace parley {

std::string socketio_event_packet(const nlohmann::json& arguments) {
  return "42" + arguments.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string socketio_relay_packet(std::string_view room, const nlohmann::json& native_document) {
  nlohmann::json object = native_document;
  object.erase("from");
  return socketio_event_packet(nlohmann::json::array({"message", room, std::move(object)}));
}

}  // namespace parley
