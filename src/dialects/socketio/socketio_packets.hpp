// The two wire formats under the socket.io dialect, as text: Engine.IO v4
// packets (and the long-polling payloads that batch them) and the Socket.IO v5
// packets that ride inside Engine.IO `message` packets. No I/O, no state.
//
//   Engine.IO packet:  <type digit><data>          e.g. `2` ping, `3probe`, `4...`
//   polling payload:   packet \x1e packet \x1e ...
//   Socket.IO packet:  <type digit>[<nsp>,][<ack id>][<JSON>]   e.g. `2["join","r"]`
//
// Binary packets (Engine.IO `b<base64>`, Socket.IO BINARY_EVENT/BINARY_ACK) are
// recognised so that they can be refused; the dialect carries text only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "rooms/events.hpp"

namespace parley::engineio {

enum class PacketType : char {
  open = '0',
  close = '1',
  ping = '2',
  pong = '3',
  message = '4',
  upgrade = '5',
  noop = '6',
};

struct Packet {
  PacketType type;
  std::string_view data;  // what follows the type digit (a view into the input)
};

// Separates the packets of a long-polling payload.
inline constexpr char kRecordSeparator = '\x1e';

// The outcome of reading a packet or a payload: binary data is told apart from
// garbage because the two close a connection with different codes.
enum class ParseError { malformed, binary };

// One text packet (a WebSocket message, or one record of a polling payload).
// An empty text, an unknown type or a `b` (base64 binary) packet is an error.
struct ParsedPacket {
  std::optional<Packet> packet;
  ParseError error = ParseError::malformed;  // meaningful when `packet` is empty
};
ParsedPacket parse_packet(std::string_view text);

// A polling POST body: every record must be a valid packet.
struct ParsedPayload {
  std::vector<Packet> packets;
  std::optional<ParseError> error;
};
ParsedPayload parse_payload(std::string_view body);

// A polling GET answer: the packets joined by the record separator.
std::string encode_payload(const std::vector<SharedText>& packets);

// The `open` packet: `0{"sid":...,"upgrades":[...],"pingInterval":ms,
// "pingTimeout":ms,"maxPayload":bytes}`.
std::string open_packet(std::string_view sid, bool offer_websocket_upgrade,
                        double ping_interval_seconds, double ping_timeout_seconds,
                        std::size_t max_payload_bytes);

// The JSON body of an HTTP error, in engine.io's words (`{"code":5,"message":
// "Unsupported protocol version"}`), so that clients and people read the same
// reasons a Node.js server would give.
enum class HttpErrorCode {
  unknown_transport = 0,
  unknown_sid = 1,
  bad_handshake_method = 2,
  bad_request = 3,
  forbidden = 4,
  unsupported_protocol_version = 5,
};
std::string http_error_body(HttpErrorCode code, std::string_view message = {});

}  // namespace parley::engineio

namespace parley::socketio {

enum class PacketType : char {
  connect = '0',
  disconnect = '1',
  event = '2',
  ack = '3',
  connect_error = '4',
  binary_event = '5',
  binary_ack = '6',
};

inline constexpr std::string_view kDefaultNamespace = "/";

struct Packet {
  PacketType type = PacketType::event;
  std::string nsp{kDefaultNamespace};
  std::optional<std::uint64_t> ack_id;
  std::optional<nlohmann::json> data;  // absent when the packet has no JSON
  std::string_view data_text;          // `data` as it came (a view into the parsed text)
};

// Why a Socket.IO packet was refused.
enum class ParseError {
  malformed,  // bad syntax, bad JSON, a payload of the wrong shape for its type
  binary,     // BINARY_EVENT / BINARY_ACK: the dialect carries no binary data
};

struct ParsedPacket {
  std::optional<Packet> packet;
  ParseError error = ParseError::malformed;
};

// Parses the data of an Engine.IO message. The payload must have the shape
// that socket.io's own parser demands of each type: CONNECT an object (or
// nothing), DISCONNECT nothing, EVENT an array whose first element is the
// event name (a string that is not a reserved name, or a number), ACK an array.
// JSON nested deeper than policy/client_rules.hpp's kMaxJsonDepth is malformed.
ParsedPacket parse_packet(std::string_view text);

// The acknowledgement id of an EVENT packet on the default namespace, read from
// its header only (for a packet that is dropped unread: the rate limit).
std::optional<std::uint64_t> event_ack_id(std::string_view text);

// Event names that socket.io reserves for itself; a client may not emit them.
bool is_reserved_event_name(std::string_view name);

// Encoders return complete Engine.IO packets (the `4` message prefix included).
// `40{"sid":...}` on the default namespace.
std::string connect_packet(std::string_view sid);
// `44[/nsp,]{"message":...[,"data":...]}`
std::string connect_error_packet(std::string_view nsp, std::string_view message,
                                 const std::optional<nlohmann::json>& data = std::nullopt);
// `43<id>[...arguments]`; `arguments` must be a JSON array.
std::string ack_packet(std::uint64_t ack_id, const nlohmann::json& arguments);

}  // namespace parley::socketio
