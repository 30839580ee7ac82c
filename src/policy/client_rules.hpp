// The rules every dialect applies to what clients send, and the error codes
// that name a broken request (protocol-v1 "Errors"; both dialects send them,
// metrics count them by code).
#pragma once

#include <cstddef>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace parley {

enum class ErrorCode {
  bad_json,
  bad_message,
  unknown_type,
  bad_room,
  already_in_room,
  not_in_room,
  unknown_peer,
  unauthorized,
  room_limit,
  rate_limited,
  resume_failed,
  forbidden,     // a relay type the token's grant leaves out; update-meta of pinned metadata
  watch_limit,   // watch beyond limits.max_watches
  not_watching,  // unwatch of a room not watched
  unavailable,   // join while the cluster's room directory (Redis) is unreachable
};
std::string_view to_string(ErrorCode code);
inline constexpr std::size_t kErrorCodeCount = 15;

// Deeper JSON than this is refused as bad-json by the parser itself, so no
// input can exhaust the stack (protocol messages need a depth of 2 or 3;
// application data in `message` gets the rest).
inline constexpr std::size_t kMaxJsonDepth = 64;

// Room names: 1 to 64 bytes of UTF-8, no control characters. (UTF-8 validity is
// the JSON parser's and the WebSocket layer's job.)
bool is_valid_room_name(std::string_view room);

// Peer metadata (integration-v1): a JSON object whose compact serialisation is at
// most `max_bytes` bytes. The same rule holds for `meta` in messages and in tokens.
bool is_valid_meta(const nlohmann::json& meta, std::size_t max_bytes);

}  // namespace parley
