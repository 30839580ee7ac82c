#include "dialects/socketio/socketio_packets.hpp"

#include <array>
#include <charconv>
#include <cmath>

#include "policy/client_rules.hpp"

namespace parley::engineio {

using nlohmann::json;

ParsedPacket parse_packet(std::string_view text) {
  if (text.empty()) return {std::nullopt, ParseError::malformed};
  const char type = text.front();
  if (type == 'b') return {std::nullopt, ParseError::binary};
  if (type < '0' || type > '6') return {std::nullopt, ParseError::malformed};
  return {Packet{static_cast<PacketType>(type), text.substr(1)}, ParseError::malformed};
}

ParsedPayload parse_payload(std::string_view body) {
  ParsedPayload result;
  std::size_t start = 0;
  for (;;) {
    const std::size_t end = body.find(kRecordSeparator, start);
    const std::string_view record =
        body.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto parsed = parse_packet(record);
    if (!parsed.packet) {
      result.packets.clear();
      result.error = parsed.error;
      return result;
    }
    result.packets.push_back(*parsed.packet);
    if (end == std::string_view::npos) return result;
    start = end + 1;
  }
}

std::string encode_payload(const std::vector<SharedText>& packets) {
  std::size_t size = 0;
  for (const auto& packet : packets) size += packet->size() + 1;
  std::string body;
  body.reserve(size);
  for (const auto& packet : packets) {
    if (!body.empty()) body.push_back(kRecordSeparator);
    body += *packet;
  }
  return body;
}

std::string open_packet(std::string_view sid, bool offer_websocket_upgrade,
                        double ping_interval_seconds, double ping_timeout_seconds,
                        std::size_t max_payload_bytes) {
  // Engine.IO speaks milliseconds; the configuration speaks (fractional) seconds.
  const auto ms = [](double seconds) { return std::llround(seconds * 1000.0); };
  json open = {
      {"sid", sid},
      {"upgrades", offer_websocket_upgrade ? json::array({"websocket"}) : json::array()},
      {"pingInterval", ms(ping_interval_seconds)},
      {"pingTimeout", ms(ping_timeout_seconds)},
      {"maxPayload", max_payload_bytes},
  };
  // Appended, not "0" + std::string&&, which GCC 12 at -O2 warns about, falsely
  // (-Wstringop-overflow, GCC bug 105651).
  std::string packet = "0";
  packet.append(open.dump());
  return packet;
}

std::string http_error_body(HttpErrorCode code, std::string_view message) {
  static constexpr std::array<std::string_view, 6> kMessages{
      "Transport unknown", "Session ID unknown", "Bad handshake method",
      "Bad request",       "Forbidden",          "Unsupported protocol version"};
  const auto index = static_cast<std::size_t>(code);
  json body = {{"code", index}, {"message", message.empty() ? kMessages[index] : message}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace parley::engineio

namespace parley::socketio {

using nlohmann::json;

namespace {

// The parser below builds a tree, and encoding a tree recurses; so, as for
// native messages, nesting is bounded before anything is parsed. Brackets inside
// strings do not count.
bool nests_deeper_than(std::string_view text, std::size_t limit) {
  std::size_t depth = 0;
  bool quoted = false;
  bool escaped = false;
  for (const char c : text) {
    if (quoted) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        quoted = false;
      continue;
    }
    switch (c) {
      case '"':
        quoted = true;
        break;
      case '[':
      case '{':
        if (++depth > limit) return true;
        break;
      case ']':
      case '}':
        if (depth > 0) --depth;
        break;
      default:
        break;
    }
  }
  return false;
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// Namespaces are echoed back in CONNECT_ERROR packets, so only plain printable
// ASCII is accepted; no real namespace needs more.
bool is_plain_namespace(std::string_view nsp) {
  if (nsp.size() > 256) return false;
  for (const char c : nsp)
    if (c < 0x21 || c > 0x7e) return false;
  return true;
}

// The shapes socket.io's parser accepts for each packet type.
bool payload_fits(PacketType type, const std::optional<json>& data) {
  switch (type) {
    case PacketType::connect:
      return !data || data->is_object();
    case PacketType::disconnect:
      return !data;
    case PacketType::event: {
      if (!data || !data->is_array() || data->empty()) return false;
      const json& name = data->front();
      if (name.is_number()) return true;
      return name.is_string() && !is_reserved_event_name(name.get_ref<const std::string&>());
    }
    case PacketType::ack:
      return data && data->is_array();
    case PacketType::connect_error:
      return data && (data->is_object() || data->is_string());
    case PacketType::binary_event:
    case PacketType::binary_ack:
      return false;  // refused before this check
  }
  return false;
}

// Acknowledgement ids are JavaScript numbers counted up from 0 by the client;
// sixteen digits stay exact as a double, more are refused.
constexpr std::size_t kMaxAckIdDigits = 16;

}  // namespace

bool is_reserved_event_name(std::string_view name) {
  static constexpr std::array<std::string_view, 6> kReserved{
      "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"};
  for (const auto reserved : kReserved)
    if (name == reserved) return true;
  return false;
}

ParsedPacket parse_packet(std::string_view text) {
  const ParsedPacket malformed{std::nullopt, ParseError::malformed};
  if (text.empty() || text.front() < '0' || text.front() > '6') return malformed;
  Packet packet;
  packet.type = static_cast<PacketType>(text.front());
  if (packet.type == PacketType::binary_event || packet.type == PacketType::binary_ack)
    return {std::nullopt, ParseError::binary};
  std::size_t i = 1;

  if (i < text.size() && text[i] == '/') {
    const std::size_t comma = text.find(',', i);
    const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
    packet.nsp = std::string(text.substr(i, end - i));
    if (!is_plain_namespace(packet.nsp)) return malformed;
    i = comma == std::string_view::npos ? text.size() : comma + 1;
  }

  const std::size_t digits_start = i;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i > digits_start) {
    if (i - digits_start > kMaxAckIdDigits) return malformed;
    std::uint64_t id = 0;
    std::from_chars(text.data() + digits_start, text.data() + i, id);
    packet.ack_id = id;
  }

  if (i < text.size()) {
    const std::string_view body = text.substr(i);
    if (nests_deeper_than(body, kMaxJsonDepth)) return malformed;
    json data = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (data.is_discarded()) return malformed;
    packet.data = std::move(data);
    packet.data_text = body;
  }
  if (!payload_fits(packet.type, packet.data)) return malformed;
  return {std::move(packet), ParseError::malformed};
}

std::optional<std::uint64_t> event_ack_id(std::string_view text) {
  if (text.empty() || text.front() != static_cast<char>(PacketType::event)) return {};
  std::size_t i = 1;
  if (i < text.size() && text[i] == '/') {
    // Only the default namespace exists; `/,` is the default written out.
    if (!text.substr(i).starts_with("/,")) return {};
    i += 2;
  }
  const std::size_t digits_start = i;
  while (i < text.size() && i - digits_start <= kMaxAckIdDigits && is_digit(text[i])) ++i;
  const std::size_t digits = i - digits_start;
  if (digits == 0 || digits > kMaxAckIdDigits || i == text.size() || text[i] != '[') return {};
  std::uint64_t id = 0;
  std::from_chars(text.data() + digits_start, text.data() + i, id);
  return id;
}

std::string connect_packet(std::string_view sid) {
  return "40" + json{{"sid", sid}}.dump();
}

std::string connect_error_packet(std::string_view nsp, std::string_view message,
                                 const std::optional<json>& data) {
  json body = {{"message", message}};
  if (data) body["data"] = *data;
  std::string packet = "44";
  if (nsp != kDefaultNamespace) {
    packet += nsp;
    packet += ',';
  }
  return packet + body.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string ack_packet(std::uint64_t ack_id, const json& arguments) {
  return "43" + std::to_string(ack_id) +
         arguments.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace parley::socketio
