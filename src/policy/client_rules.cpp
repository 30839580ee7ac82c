#include "policy/client_rules.hpp"

#include <nlohmann/json.hpp>

namespace parley {

using nlohmann::json;

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_json:
      return "bad-json";
    case ErrorCode::bad_message:
      return "bad-message";
    case ErrorCode::unknown_type:
      return "unknown-type";
    case ErrorCode::bad_room:
      return "bad-room";
    case ErrorCode::already_in_room:
      return "already-in-room";
    case ErrorCode::not_in_room:
      return "not-in-room";
    case ErrorCode::unknown_peer:
      return "unknown-peer";
    case ErrorCode::unauthorized:
      return "unauthorized";
    case ErrorCode::room_limit:
      return "room-limit";
    case ErrorCode::rate_limited:
      return "rate-limited";
    case ErrorCode::resume_failed:
      return "resume-failed";
    case ErrorCode::forbidden:
      return "forbidden";
    case ErrorCode::watch_limit:
      return "watch-limit";
    case ErrorCode::not_watching:
      return "not-watching";
    case ErrorCode::unavailable:
      return "unavailable";
  }
  return "bad-message";
}

bool is_valid_meta(const json& meta, std::size_t max_bytes) {
  return meta.is_object() &&
         meta.dump(-1, ' ', false, json::error_handler_t::replace).size() <= max_bytes;
}

bool is_valid_room_name(std::string_view room) {
  if (room.empty() || room.size() > 64) return false;
  for (unsigned char c : room)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

}  // namespace parley
