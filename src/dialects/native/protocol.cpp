#include "dialects/native/protocol.hpp"

#include <algorithm>
#include <array>
#include <new>
#include <vector>

#include <simdjson.h>

#include "base/json_writer.hpp"

namespace parley {

using nlohmann::json;

namespace {

constexpr std::array<std::pair<std::string_view, ClientType>, 11> kClientTypes{{
    {"join", ClientType::join},
    {"leave", ClientType::leave},
    {"offer", ClientType::offer},
    {"answer", ClientType::answer},
    {"candidate", ClientType::candidate},
    {"message", ClientType::message},
    {"ping", ClientType::ping},
    {"resume", ClientType::resume},
    {"update-meta", ClientType::update_meta},
    {"watch", ClientType::watch},
    {"unwatch", ClientType::unwatch},
}};

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
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

namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// simdjson validates (UTF-8, grammar, depth) at several GB/s, about 30x the
// speed of building an nlohmann::json DOM for an SDP-sized message, so the hot
// path parses with it. It needs readable padding past the text, hence the copy
// into a per-thread buffer; the parser's own buffers are reused between calls.
class FastParser {
 public:
  FastParser() {
    // Fails only when memory is exhausted; parse() then reports MEMALLOC.
    const auto ignored = parser_.allocate(64 * 1024, kMaxJsonDepth);
    (void)ignored;
  }

  simdjson::simdjson_result<simdjson::dom::element> parse(std::string_view text) {
    if (padded_.size() < text.size() + simdjson::SIMDJSON_PADDING)
      padded_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::copy(text.begin(), text.end(), padded_.begin());
    return parser_.parse(padded_.data(), text.size(), /*realloc_if_needed=*/false);
  }

 private:
  simdjson::dom::parser parser_;
  std::vector<char> padded_;
};

// A member's JSON value, converted for echoing (`rid`).
json to_json(simdjson::dom::element value) {
  switch (value.type()) {
    case simdjson::dom::element_type::STRING:
      return std::string(value.get_string().value());
    case simdjson::dom::element_type::INT64:
      return value.get_int64().value();
    case simdjson::dom::element_type::UINT64:
      return value.get_uint64().value();
    case simdjson::dom::element_type::DOUBLE:
      return value.get_double().value();
    default:
      return nullptr;  // not echoed: valid_rid refuses it first
  }
}

bool valid_rid(simdjson::dom::element rid) {
  if (rid.is_string()) return utf8_length(rid.get_string().value()) <= 64;
  if (rid.is_number()) return to_json(rid).dump().size() <= 64;
  return false;
}

// The members the protocol reads; a member written twice counts with its last
// value (what JSON.parse and nlohmann::json do).
struct Members {
  std::optional<simdjson::dom::element> type, rid, to, room, token, sdp, candidate, data, meta;
  bool from = false;
};

Members members_of(simdjson::dom::object object) {
  Members m;
  for (auto [key, value] : object) {
    if (key == "type")
      m.type = value;
    else if (key == "rid")
      m.rid = value;
    else if (key == "to")
      m.to = value;
    else if (key == "room")
      m.room = value;
    else if (key == "token")
      m.token = value;
    else if (key == "sdp")
      m.sdp = value;
    else if (key == "candidate")
      m.candidate = value;
    else if (key == "data")
      m.data = value;
    else if (key == "meta")
      m.meta = value;
    else if (key == "from")
      m.from = true;
  }
  return m;
}

// `meta` as an nlohmann object (the form the server keeps and sends), or nothing
// when it breaks the rule. simdjson's minified text of a validated element is
// valid JSON, so the second parse cannot fail.
std::optional<json> read_meta(simdjson::dom::element value, const ParseLimits& limits) {
  if (!value.is_object()) return std::nullopt;
  json meta = json::parse(simdjson::minify(value), nullptr, /*allow_exceptions=*/false);
  if (!is_valid_meta(meta, limits.max_meta_bytes)) return std::nullopt;
  return meta;
}

std::string meta_rule(const ParseLimits& limits) {
  return "`meta` must be a JSON object of at most " + std::to_string(limits.max_meta_bytes) +
         " bytes as compact JSON";
}

// `room` of join, watch and unwatch: a string (bad-message) that follows the
// room name rule (bad-room).
std::optional<ProtocolError> read_room(const Members& m, ClientMessage& msg,
                                       const std::optional<json>& rid) {
  if (!m.room || !m.room->is_string())
    return error(ErrorCode::bad_message, "`room` is missing or not a string", rid);
  msg.room = std::string(m.room->get_string().value());
  return std::nullopt;
}

std::optional<ProtocolError> check_room_name(const ClientMessage& msg,
                                             const std::optional<json>& rid) {
  if (!is_valid_room_name(msg.room))
    return error(ErrorCode::bad_room,
                 "a room name is 1 to 64 bytes of UTF-8 without control characters", rid);
  return std::nullopt;
}

std::optional<ProtocolError> read_auth_token(const Members& m, ClientMessage& msg,
                                             const std::optional<json>& rid) {
  if (!m.token) return std::nullopt;
  if (!m.token->is_string()) return error(ErrorCode::bad_message, "`token` must be a string", rid);
  msg.token = std::string(m.token->get_string().value());
  return std::nullopt;
}

ParseResult validate(const Members& m, const ParseLimits& limits) {
  if (!m.type || !m.type->is_string())
    return error(ErrorCode::bad_message, "`type` is missing or not a string");

  std::optional<json> rid;
  if (m.rid) {
    if (!valid_rid(*m.rid))
      return error(ErrorCode::bad_message,
                   "`rid` must be a string or number of at most 64 characters");
    rid = to_json(*m.rid);
  }

  const std::string_view type_name = m.type->get_string().value();
  std::optional<ClientType> type;
  for (const auto& [name, t] : kClientTypes)
    if (name == type_name) type = t;
  if (!type) return error(ErrorCode::unknown_type, "unknown message type", rid);

  ClientMessage msg{*type, m.from, rid, {}, {}, {}, {}};
  if (m.to) {
    if (!m.to->is_string()) return error(ErrorCode::bad_message, "`to` must be a string", rid);
    msg.to = std::string(m.to->get_string().value());
  }

  switch (*type) {
    case ClientType::join:
    case ClientType::watch:
    case ClientType::unwatch:
      // Field types first (bad-message), then the room name rule (bad-room).
      if (auto problem = read_room(m, msg, rid)) return *problem;
      if (*type != ClientType::unwatch)
        if (auto problem = read_auth_token(m, msg, rid)) return *problem;
      if (*type == ClientType::join && m.meta) {
        msg.meta = read_meta(*m.meta, limits);
        if (!msg.meta) return error(ErrorCode::bad_message, meta_rule(limits), rid);
      }
      if (auto problem = check_room_name(msg, rid)) return *problem;
      break;
    case ClientType::update_meta:
      if (!m.meta) return error(ErrorCode::bad_message, "`meta` is missing", rid);
      msg.meta = read_meta(*m.meta, limits);
      if (!msg.meta) return error(ErrorCode::bad_message, meta_rule(limits), rid);
      break;
    case ClientType::offer:
    case ClientType::answer:
      if (!m.sdp || !m.sdp->is_string())
        return error(ErrorCode::bad_message, "`sdp` is missing or not a string", rid);
      break;
    case ClientType::candidate:
      if (!m.candidate ||
          !(m.candidate->is_object() || m.candidate->is_string() || m.candidate->is_null()))
        return error(ErrorCode::bad_message,
                     "`candidate` is missing or not an object, string or null", rid);
      break;
    case ClientType::message:
      if (!m.data) return error(ErrorCode::bad_message, "`data` is missing", rid);
      break;
    case ClientType::resume:
      if (!m.token || !m.token->is_string())
        return error(ErrorCode::bad_message, "`token` is missing or not a string", rid);
      msg.token = std::string(m.token->get_string().value());
      break;
    case ClientType::leave:
    case ClientType::ping:
      break;
  }
  return msg;
}

// True when brackets nest deeper than the limit anywhere in the text. Strings
// are skipped so that "[[[[" inside one does not count. (Only for the rare
// texts nlohmann::json has to judge: its DOM is printed recursively.)
bool nests_too_deep(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
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

ProtocolError too_deep() {
  // Appended, not "literal" + std::string&&, which GCC 12 at -O2 warns about, falsely
  // (-Wstringop-overflow, GCC bug 105651).
  std::string message = "JSON nests deeper than ";
  message.append(std::to_string(kMaxJsonDepth));
  return error(ErrorCode::bad_json, message);
}

// Parses with simdjson; on a grammar failure, `failure` says which.
ParseResult parse_text(FastParser& parser, std::string_view text, const ParseLimits& limits,
                       simdjson::error_code& failure) {
  simdjson::dom::element root;
  failure = parser.parse(text).get(root);
  switch (failure) {
    case simdjson::SUCCESS:
      break;
    case simdjson::DEPTH_ERROR:
      return too_deep();
    case simdjson::MEMALLOC:
      throw std::bad_alloc();
    default:
      return error(ErrorCode::bad_json, "the message is not valid JSON");
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS)
    return error(ErrorCode::bad_json, "the message is not a JSON object");
  return validate(members_of(object), limits);
}

}  // namespace

ParseResult parse_client_message(std::string_view text, const ParseLimits& limits) {
  thread_local FastParser parser;
  // JSON allows a byte order mark in front (nlohmann::json accepts it);
  // simdjson does not.
  std::string_view body = text;
  if (body.starts_with(kByteOrderMark)) body.remove_prefix(kByteOrderMark.size());
  simdjson::error_code failure{};
  ParseResult result = parse_text(parser, body, limits, failure);
  if (failure != simdjson::NUMBER_ERROR) return result;
  // simdjson refuses integers beyond 64 bits, which JSON allows (JSON.parse
  // reads them as doubles). Such a text is judged again by nlohmann::json; if
  // that accepts it, the fields are read from its re-encoding (big integers as
  // doubles). The relay still forwards the sender's own bytes.
  if (nests_too_deep(body)) return too_deep();
  const json document = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (document.is_discarded()) return result;
  return parse_text(parser, document.dump(-1, ' ', false, json::error_handler_t::replace), limits,
                    failure);
}

namespace {

// The on-demand API reads only what it is asked for: its first stage (UTF-8
// check and structure index) runs over the whole text, but nothing else is
// built. It needs padding past the text, like FastParser.
class RidFinder {
 public:
  std::optional<json> find(std::string_view text) {
    if (padded_.size() < text.size() + simdjson::SIMDJSON_PADDING)
      padded_.resize(text.size() + simdjson::SIMDJSON_PADDING);
    std::copy(text.begin(), text.end(), padded_.begin());
    simdjson::ondemand::document document;
    if (parser_.iterate(padded_.data(), text.size(), padded_.size()).get(document)) return {};
    simdjson::ondemand::object object;
    if (document.get_object().get(object)) return {};
    std::optional<json> rid;
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key)) return {};
      if (key != "rid") continue;  // its value is skipped by the next step
      // A member written twice counts with its last value, as in the full parse.
      simdjson::ondemand::value value;
      if (field.value().get(value)) return {};
      rid = rid_of(value);
    }
    // Nothing may follow the object (`{"rid":1} x` is not JSON).
    if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) return {};
    return rid;
  }

 private:
  static std::optional<json> rid_of(simdjson::ondemand::value value) {
    simdjson::ondemand::json_type type;
    if (value.type().get(type)) return {};
    json rid;
    if (type == simdjson::ondemand::json_type::string) {
      std::string_view s;
      if (value.get_string().get(s) || utf8_length(s) > 64) return {};
      rid = std::string(s);
    } else if (type == simdjson::ondemand::json_type::number) {
      simdjson::ondemand::number_type number_type;
      if (value.get_number_type().get(number_type)) return {};
      if (number_type == simdjson::ondemand::number_type::signed_integer) {
        std::int64_t n;
        if (value.get_int64().get(n)) return {};
        rid = n;
      } else if (number_type == simdjson::ondemand::number_type::unsigned_integer) {
        std::uint64_t n;
        if (value.get_uint64().get(n)) return {};
        rid = n;
      } else {
        double n;
        if (value.get_double().get(n)) return {};
        rid = n;
      }
      if (rid.dump().size() > 64) return {};
    } else {
      return {};
    }
    return rid;
  }

  simdjson::ondemand::parser parser_;
  std::vector<char> padded_;
};

}  // namespace

std::optional<json> find_rid(std::string_view text) {
  thread_local RidFinder finder;
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  return finder.find(text);
}

std::string stamp_from(std::string_view text, bool has_from, std::string_view from_id) {
  if (has_from) {
    json document = json::parse(text, nullptr, /*allow_exceptions=*/false);
    document["from"] = from_id;
    return document.dump(-1, ' ', false, json::error_handler_t::replace);
  }
  // A UTF-8 byte order mark is accepted by the parser but not by every
  // receiver's (JavaScript's JSON.parse refuses it): it is not relayed.
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  // The text is a JSON object (it parsed as one), so its first non-blank byte
  // is '{'; an empty object takes `from` without the comma.
  const std::size_t brace = text.find('{');
  const std::size_t next = text.find_first_not_of(" \t\r\n", brace + 1);
  const bool empty = next != std::string_view::npos && text[next] == '}';
  std::string out;
  out.reserve(text.size() + from_id.size() + 10);
  out.append(text.substr(0, brace + 1));
  out.append("\"from\":\"");
  out.append(from_id);  // peer ids are URL-safe: nothing to escape
  out.append(empty ? "\"" : "\",");
  out.append(text.substr(brace + 1));
  return out;
}

std::string encode_relayed(const RelayedMessage& message) {
  if (message.shape == RelayShape::signal)
    return stamp_from(message.text, message.has_from, message.sender);
  if (message.shape == RelayShape::server) {
    // The application's `data` is valid compact JSON (the admin API dumped it).
    std::string out;
    out.reserve(message.text.size() + json_string_size(message.room) + 40);
    out.append("{\"type\":\"server-message\",\"room\":");
    append_json_string(out, message.room);
    out.append(",\"data\":");
    out.append(message.text);
    out.push_back('}');
    return out;
  }
  // Application data (a socket.io peer's message(room, data)), valid JSON as
  // its sender wrote it. An object is the frame itself, `from` spliced in as
  // for a signaling message; a `from` of the sender's own is replaced (no
  // spoofing), which takes a parse.
  const std::size_t first = message.text.find_first_not_of(" \t\r\n");
  const bool object = first != std::string_view::npos && message.text[first] == '{';
  if (object) return stamp_from(message.text, message.has_from, message.sender);
  // Anything else is wrapped (members in byte order of their keys, as below).
  JsonWriter frame({}, message.text.size() + message.sender.size() + 40);
  frame.begin_object().key("data").raw(message.text).key("from").string(message.sender);
  frame.key("type").string("message");
  return std::move(frame.end_object()).take();
}

// Members are written in byte order of their keys (see base/json_writer.hpp).
namespace {

void optional_rid(JsonWriter& frame, const std::optional<json>& rid) {
  if (rid) frame.key("rid").value(*rid);
}

}  // namespace

std::string encode_welcome(std::string_view id, std::string_view resume_token) {
  JsonWriter frame;
  frame.begin_object().key("id").string(id).key("resume").string(resume_token);
  frame.key("type").string("welcome").key("version").number(1);
  return std::move(frame.end_object()).take();
}

std::string encode_joined(std::string_view room, std::string_view id,
                          const std::vector<std::string>& peers, const json& meta,
                          const json& ice_servers, const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object().key("iceServers").value(ice_servers).key("id").string(id);
  frame.key("meta").value(meta).key("peers").strings(peers);
  optional_rid(frame, rid);
  frame.key("room").string(room).key("type").string("joined");
  return std::move(frame.end_object()).take();
}

std::string encode_full(std::string_view room, const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object();
  optional_rid(frame, rid);
  frame.key("room").string(room).key("type").string("full");
  return std::move(frame.end_object()).take();
}

std::string encode_left(std::string_view room, LeaveReason reason, const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object().key("reason").string(to_string(reason));
  optional_rid(frame, rid);
  frame.key("room").string(room).key("type").string("left");
  return std::move(frame.end_object()).take();
}

std::string encode_peer_joined(std::string_view room, std::string_view id, const json& meta) {
  JsonWriter frame;
  frame.begin_object().key("id").string(id).key("meta").value(meta);
  frame.key("room").string(room).key("type").string("peer-joined");
  return std::move(frame.end_object()).take();
}

std::string encode_peer_updated(std::string_view room, std::string_view id, const json& meta) {
  JsonWriter frame;
  frame.begin_object().key("id").string(id).key("meta").value(meta);
  frame.key("room").string(room).key("type").string("peer-updated");
  return std::move(frame.end_object()).take();
}

std::string encode_meta_updated(std::string_view room, const json& meta,
                                const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object().key("meta").value(meta);
  optional_rid(frame, rid);
  frame.key("room").string(room).key("type").string("meta-updated");
  return std::move(frame.end_object()).take();
}

std::string encode_watching(std::string_view room, const std::vector<std::string>& peers,
                            const json& meta, const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object().key("meta").value(meta).key("peers").strings(peers);
  optional_rid(frame, rid);
  frame.key("room").string(room).key("type").string("watching");
  return std::move(frame.end_object()).take();
}

std::string encode_unwatched(std::string_view room, const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object();
  optional_rid(frame, rid);
  frame.key("room").string(room).key("type").string("unwatched");
  return std::move(frame.end_object()).take();
}

std::string encode_peer_left(std::string_view room, std::string_view id, LeaveReason reason) {
  JsonWriter frame;
  frame.begin_object().key("id").string(id).key("reason").string(to_string(reason));
  frame.key("room").string(room).key("type").string("peer-left");
  return std::move(frame.end_object()).take();
}

std::string encode_pong(const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object();
  optional_rid(frame, rid);
  frame.key("type").string("pong");
  return std::move(frame.end_object()).take();
}

std::string encode_resumed(std::string_view id, const std::optional<std::string>& room,
                           const std::vector<std::string>& peers, const json& meta,
                           std::string_view resume_token, const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object().key("id").string(id).key("meta").value(meta).key("peers").strings(peers);
  frame.key("resume").string(resume_token);
  optional_rid(frame, rid);
  frame.key("room");
  if (room) {
    frame.string(*room);
  } else {
    frame.null();
  }
  frame.key("type").string("resumed");
  return std::move(frame.end_object()).take();
}

std::string encode_error(ErrorCode code, std::string_view message, const std::optional<json>& rid) {
  JsonWriter frame;
  frame.begin_object().key("code").string(to_string(code)).key("message").string(message);
  optional_rid(frame, rid);
  frame.key("type").string("error");
  return std::move(frame.end_object()).take();
}

}  // namespace parley
