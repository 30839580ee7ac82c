// The native dialect's codec (the wire contract protocol-v1, docs/protocol.md):
// parsing and validating what a client sends (once per message), and encoding
// what the server sends. No I/O, no state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "policy/client_rules.hpp"
#include "rooms/events.hpp"

namespace parley {

enum class ClientType {
  join,
  leave,
  offer,
  answer,
  candidate,
  message,
  ping,
  resume,
  update_meta,
  watch,
  unwatch,
};
std::string_view to_string(ClientType type);
inline bool is_relay(ClientType t) {
  return t == ClientType::offer || t == ClientType::answer || t == ClientType::candidate ||
         t == ClientType::message;
}

// A validated client message: the fields the server acts on. Relays forward the
// sender's original text, so the rest of the document is not kept.
struct ClientMessage {
  ClientType type;
  bool has_from = false;  // the sender wrote a `from` member (it gets replaced)
  std::optional<nlohmann::json> rid;
  std::string room;                    // join, watch, unwatch
  std::optional<std::string> token;    // join and watch (auth), resume
  std::optional<std::string> to;       // relays
  std::optional<nlohmann::json> meta;  // join (optional), update-meta: a JSON object
};

// What parsing needs from the configuration.
struct ParseLimits {
  std::size_t max_meta_bytes = 1024;  // limits.max_meta_bytes
};

struct ProtocolError {
  ErrorCode code;
  std::string message;                // for people
  std::optional<nlohmann::json> rid;  // echoed when the message had a valid one
};

using ParseResult = std::variant<ClientMessage, ProtocolError>;

// Parses one text frame. Checks, in order: JSON object (bad-json), `type`
// present and a string, `rid` valid (bad-message), `type` known (unknown-type),
// the type's own fields (bad-message), the room name rule (bad-room). A member
// written twice counts with its last value, as in JavaScript's JSON.parse.
// Safe to call from several threads at once (each has its own parser).
ParseResult parse_client_message(std::string_view text, const ParseLimits& limits = {});

// The valid top-level `rid` of a message that is dropped unread (rate limit):
// found without the full parse, and only when the text is a JSON object and its
// `rid` (the last one, if written twice) is a string or number of at most 64
// characters. The other members are skipped, not checked.
std::optional<nlohmann::json> find_rid(std::string_view text);

// The relayed frame: the sender's text (a parsed client message) with
// `"from":"<id>"` set. The text is spliced rather than re-serialised, so every
// other field keeps its exact bytes; only a client-written `from` (`has_from`)
// forces a parse and re-encode.
std::string stamp_from(std::string_view text, bool has_from, std::string_view from_id);

// The slot of the native encoding in a relayed message's memo (RelayedMessage::encoded).
inline constexpr std::size_t kNativeEncoding = 0;

// The frame native peers receive for a relayed message, `from` set to its
// sender: a signaling message is the sender's text with `from` spliced in
// (stamp_from); application data (from a socket.io peer's message(room, data))
// is the data itself when it is an object, otherwise
// {"type": "message", "data": data}.
std::string encode_relayed(const RelayedMessage& message);

// Server frames.
std::string encode_welcome(std::string_view id, std::string_view resume_token);
// `meta` maps each id of `peers` to its metadata (an object; `{}` for none).
std::string encode_joined(std::string_view room, std::string_view id,
                          const std::vector<std::string>& peers, const nlohmann::json& meta,
                          const nlohmann::json& ice_servers,
                          const std::optional<nlohmann::json>& rid);
std::string encode_full(std::string_view room, const std::optional<nlohmann::json>& rid);
std::string encode_left(std::string_view room, LeaveReason reason,
                        const std::optional<nlohmann::json>& rid);
std::string encode_peer_joined(std::string_view room, std::string_view id,
                               const nlohmann::json& meta);
std::string encode_peer_updated(std::string_view room, std::string_view id,
                                const nlohmann::json& meta);
std::string encode_meta_updated(std::string_view room, const nlohmann::json& meta,
                                const std::optional<nlohmann::json>& rid);
std::string encode_watching(std::string_view room, const std::vector<std::string>& peers,
                            const nlohmann::json& meta, const std::optional<nlohmann::json>& rid);
std::string encode_unwatched(std::string_view room, const std::optional<nlohmann::json>& rid);
std::string encode_peer_left(std::string_view room, std::string_view id, LeaveReason reason);
std::string encode_pong(const std::optional<nlohmann::json>& rid);
std::string encode_resumed(std::string_view id, const std::optional<std::string>& room,
                           const std::vector<std::string>& peers, const nlohmann::json& meta,
                           std::string_view resume_token, const std::optional<nlohmann::json>& rid);
std::string encode_error(ErrorCode code, std::string_view message,
                         const std::optional<nlohmann::json>& rid);

}  // namespace parley
