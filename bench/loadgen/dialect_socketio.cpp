// The classic socket.io 1:1 signaling events (protocol-v1.md, "socket.io
// dialect") over Engine.IO 4's WebSocket transport: packets are one character
// of Engine.IO type ("0" open, "2" ping, "3" pong, "4" message) and, inside a
// message, one of Socket.IO type ("0" connect, "2" event: a JSON array).
#include <nlohmann/json.hpp>

#include "dialect_factories.hpp"
#include "payload_check.hpp"

namespace loadgen {
namespace {

constexpr std::string_view kMessageEvent = R"(42["message",")";

class SocketIoDialect final : public Dialect {
 public:
  std::string_view name() const override { return "sio"; }
  std::string_view default_path() const override { return "/socket.io/?EIO=4&transport=websocket"; }
  bool ready_on_open() const override { return false; }
  bool reports_peer_ids() const override { return false; }
  bool announces_joins() const override { return true; }

  std::string join(std::string_view room) const override { return event("join", room); }
  std::string leave(std::string_view room) const override { return event("leave", room); }

  std::string relay(const RelayMessage& message) const override {
    return make_relay_text(std::string(kMessageEvent) + std::string(message.room) + "\",", message,
                           "]");
  }

  Incoming parse(std::string_view text, bool strict) const override {
    Incoming in;
    if (text.starts_with(kMessageEvent) && scan_relayed(text, in.relayed)) {
      in.kind = Kind::kRelayed;
      const auto room_start = kMessageEvent.size();
      const auto room_end = text.find('"', room_start);
      if (room_end != std::string_view::npos) {
        in.relayed.room = text.substr(room_start, room_end - room_start);
      }
      in.relayed.from = {};  // the classic events carry no sender
      if (strict) check_relayed(text, in);
      return in;
    }
    if (text.starts_with("0{")) {  // Engine.IO open: connect to the default namespace
      in.reply = "40";
      return in;
    }
    if (text.starts_with("40")) {
      in.kind = Kind::kReady;
      return in;
    }
    if (text == "2") {  // Engine.IO ping: the client must answer or be dropped
      in.reply = "3";
      return in;
    }
    if (text == "3" || text == "6") return in;
    if (text.starts_with("41") || text.starts_with("44") || text.starts_with("1")) {
      in.kind = Kind::kServerError;
      in.detail = "socket.io disconnect or error: " + std::string(text.substr(0, 160));
      return in;
    }
    if (!text.starts_with("42")) return malformed(in, text);
    const auto args = nlohmann::json::parse(text.substr(2), nullptr, false);
    if (!args.is_array() || args.empty() || !args[0].is_string()) return malformed(in, text);
    const auto& event_name = args[0].get_ref<const std::string&>();
    auto id_arg = [&]() {
      return args.size() > 2 && args[2].is_string() ? args[2].get<std::string>() : "";
    };
    if (event_name == "joined") {
      in.kind = Kind::kJoined;
      in.id = id_arg();
    } else if (event_name == "otherjoin") {
      in.kind = Kind::kPeerJoined;
      in.id = id_arg();
    } else if (event_name == "full") {
      in.kind = Kind::kFull;
    } else if (event_name == "leaved") {
      in.kind = Kind::kLeft;
    } else if (event_name == "bye") {
      in.kind = Kind::kPeerLeft;
      in.id = id_arg();
    } else if (event_name == "parley-error") {
      in.kind = Kind::kServerError;
      in.detail = "parley-error " + (args.size() > 1 ? args[1].dump() : std::string());
    } else {
      return malformed(in, text);
    }
    return in;
  }

 private:
  static std::string event(std::string_view name, std::string_view room) {
    return "42" + nlohmann::json::array({name, room}).dump();
  }

  static Incoming& malformed(Incoming& in, std::string_view text) {
    in.kind = Kind::kMalformed;
    in.detail = "unexpected packet: " + std::string(text.substr(0, 160));
    return in;
  }

  static void check_relayed(std::string_view text, Incoming& in) {
    const auto args = nlohmann::json::parse(text.substr(2), nullptr, false);
    std::string why;
    if (!args.is_array() || args.size() != 3 || !args[1].is_string()) {
      why = "not message(room, data)";
    } else if (args[1].get_ref<const std::string&>() != in.relayed.room) {
      why = "room argument not where the scan found it";
    } else {
      payload_is_exact(args[2], in.relayed, why);
    }
    if (!why.empty()) {
      in.kind = Kind::kMalformed;
      in.detail = "relayed message changed (" + why + "): " + std::string(text.substr(0, 160));
    }
  }
};

}  // namespace

std::unique_ptr<Dialect> make_socketio_dialect() {
  return std::make_unique<SocketIoDialect>();
}

}  // namespace loadgen
