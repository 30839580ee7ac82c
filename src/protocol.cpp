#include "parley/protocol.hpp"

#include <array>

namespace parley {

using nlohmann::json;

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_json: return "bad-json";
    case ErrorCode::bad_message: return "bad-message";
    case ErrorCode::unknown_type: return "unknown-type";
    case ErrorCode::bad_room: return "bad-room";
    case ErrorCode::already_in_room: return "already-in-room";
    case ErrorCode::not_in_room: return "not-in-room";
    case ErrorCode::unknown_peer: return "unknown-peer";
    case ErrorCode::unauthorized: return "unauthorized";
    case ErrorCode::room_limit: return "room-limit";
    case ErrorCode::rate_limited: return "rate-limited";
    case ErrorCode::resume_failed: return "resume-failed";
  }
  return "bad-message";
}

namespace {

constexpr std::array<std::pair<std::string_view, ClientType>, 8> kClientTypes{{
    {"join", ClientType::join},
    {"leave", ClientType::leave},
    {"offer", ClientType::offer},
    {"answer", ClientType::answer},
    {"candidate", ClientType::candidate},
    {"message", ClientType::message},
    {"ping", ClientType::ping},
    {"resume", ClientType::resume},
}};

// True when brackets nest deeper than the limit anywhere in the text. Strings
// are skipped so that "[[[[" inside one does not count.
bool nests_too_deep(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return false;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool valid_rid(const json& rid) {
  if (rid.is_string()) return utf8_length(rid.get_ref<const std::string&>()) <= 64;
  if (rid.is_number()) return rid.dump().size() <= 64;
  return false;
}

ProtocolError error(ErrorCode code, std::string message, const std::optional<json>& rid = {}) {
  return ProtocolError{code, std::move(message), rid};
}

}  // namespace

std::string_view to_string(ClientType type) {
  for (const auto& [name, t] : kClientTypes)
    if (t == type) return name;
  return "message";
}

bool is_valid_room_name(std::string_view room) {
  if (room.empty() || room.size() > 64) return false;
  for (unsigned char c : room)
    if (c < 0x20 || c == 0x7F) return false;
  return true;
}

ParseResult parse_client_message(std::string_view text) {
  if (nests_too_deep(text))
    return error(ErrorCode::bad_json, "JSON nests deeper than " + std::to_string(kMaxJsonDepth));
  json doc = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return error(ErrorCode::bad_json, "the message is not valid JSON");
  if (!doc.is_object()) return error(ErrorCode::bad_json, "the message is not a JSON object");

  auto type_it = doc.find("type");
  if (type_it == doc.end() || !type_it->is_string())
    return error(ErrorCode::bad_message, "`type` is missing or not a string");

  std::optional<json> rid;
  if (auto rid_it = doc.find("rid"); rid_it != doc.end()) {
    if (!valid_rid(*rid_it))
      return error(ErrorCode::bad_message, "`rid` must be a string or number of at most 64 characters");
    rid = *rid_it;
  }

  const auto& type_name = type_it->get_ref<const std::string&>();
  std::optional<ClientType> type;
  for (const auto& [name, t] : kClientTypes)
    if (name == type_name) type = t;
  if (!type) return error(ErrorCode::unknown_type, "unknown message type", rid);

  ClientMessage msg{*type, {}, rid, {}, {}, {}};
  if (auto to_it = doc.find("to"); to_it != doc.end()) {
    if (!to_it->is_string()) return error(ErrorCode::bad_message, "`to` must be a string", rid);
    msg.to = to_it->get<std::string>();
  }

  auto string_field = [&](const char* name) -> const std::string* {
    auto it = doc.find(name);
    return it != doc.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };

  switch (*type) {
    case ClientType::join: {
      auto room_it = doc.find("room");
      if (room_it == doc.end() || !room_it->is_string())
        return error(ErrorCode::bad_message, "`room` is missing or not a string", rid);
      if (auto token_it = doc.find("token"); token_it != doc.end()) {
        if (!token_it->is_string())
          return error(ErrorCode::bad_message, "`token` must be a string", rid);
        msg.token = token_it->get<std::string>();
      }
      msg.room = room_it->get<std::string>();
      if (!is_valid_room_name(msg.room))
        return error(ErrorCode::bad_room,
                     "a room name is 1 to 64 bytes of UTF-8 without control characters", rid);
      break;
    }
    case ClientType::offer:
    case ClientType::answer:
      if (!string_field("sdp"))
        return error(ErrorCode::bad_message, "`sdp` is missing or not a string", rid);
      break;
    case ClientType::candidate: {
      auto it = doc.find("candidate");
      if (it == doc.end() || !(it->is_object() || it->is_string() || it->is_null()))
        return error(ErrorCode::bad_message,
                     "`candidate` is missing or not an object, string or null", rid);
      break;
    }
    case ClientType::message:
      if (!doc.contains("data")) return error(ErrorCode::bad_message, "`data` is missing", rid);
      break;
    case ClientType::resume: {
      const std::string* token = string_field("token");
      if (!token) return error(ErrorCode::bad_message, "`token` is missing or not a string", rid);
      msg.token = *token;
      break;
    }
    case ClientType::leave:
    case ClientType::ping:
      break;
  }
  msg.document = std::move(doc);
  return msg;
}

std::string stamp_from(std::string_view text, const json& document, std::string_view from_id) {
  if (document.contains("from")) {
    json copy = document;
    copy["from"] = from_id;
    return copy.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  // A UTF-8 byte order mark is accepted by the parser but not by every
  // receiver's (JavaScript's JSON.parse refuses it): it is not relayed.
  if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3);
  // The text is a JSON object (it parsed as one), so its first non-blank byte is
  // '{' and it has at least the `type` member after it.
  const std::size_t brace = text.find('{');
  std::string out;
  out.reserve(text.size() + from_id.size() + 10);
  out.append(text.substr(0, brace + 1));
  out.append("\"from\":\"");
  out.append(from_id);  // peer ids are URL-safe: nothing to escape
  out.append("\",");
  out.append(text.substr(brace + 1));
  return out;
}

namespace {

std::string finish(json& object, const std::optional<json>& rid) {
  if (rid) object["rid"] = *rid;
  return object.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

std::string encode_welcome(std::string_view id, std::string_view resume_token) {
  json o{{"type", "welcome"}, {"id", id}, {"resume", resume_token}, {"version", 1}};
  return finish(o, std::nullopt);
}

std::string encode_joined(std::string_view room, std::string_view id,
                          const std::vector<std::string>& peers, const json& ice_servers,
                          const std::optional<json>& rid) {
  json o{{"type", "joined"}, {"room", room}, {"id", id}, {"peers", peers},
         {"iceServers", ice_servers}};
  return finish(o, rid);
}

std::string encode_full(std::string_view room, const std::optional<json>& rid) {
  json o{{"type", "full"}, {"room", room}};
  return finish(o, rid);
}

std::string encode_left(std::string_view room, LeaveReason reason, const std::optional<json>& rid) {
  json o{{"type", "left"}, {"room", room}, {"reason", to_string(reason)}};
  return finish(o, rid);
}

std::string encode_peer_joined(std::string_view room, std::string_view id) {
  json o{{"type", "peer-joined"}, {"room", room}, {"id", id}};
  return finish(o, std::nullopt);
}

std::string encode_peer_left(std::string_view room, std::string_view id, LeaveReason reason) {
  json o{{"type", "peer-left"}, {"room", room}, {"id", id}, {"reason", to_string(reason)}};
  return finish(o, std::nullopt);
}

std::string encode_pong(const std::optional<json>& rid) {
  json o{{"type", "pong"}};
  return finish(o, rid);
}

std::string encode_resumed(std::string_view id, const std::optional<std::string>& room,
                           const std::vector<std::string>& peers, std::string_view resume_token,
                           const std::optional<json>& rid) {
  json o{{"type", "resumed"},
         {"id", id},
         {"room", room ? json(*room) : json(nullptr)},
         {"peers", peers},
         {"resume", resume_token}};
  return finish(o, rid);
}

std::string encode_error(ErrorCode code, std::string_view message, const std::optional<json>& rid) {
  json o{{"type", "error"}, {"code", to_string(code)}, {"message", message}};
  return finish(o, rid);
}

}  // namespace parley
