// parley's native dialect (protocol-v1.md), as spoken by parley and the
// Node `ws` relay.
#include <nlohmann/json.hpp>

#include "dialect_factories.hpp"
#include "payload_check.hpp"

namespace loadgen {
namespace {

class NativeDialect final : public Dialect {
 public:
  std::string_view name() const override { return "native"; }
  std::string_view default_path() const override { return "/ws"; }
  bool ready_on_open() const override { return false; }
  bool reports_peer_ids() const override { return true; }
  bool announces_joins() const override { return true; }

  std::string join(std::string_view room) const override {
    return nlohmann::json{{"type", "join"}, {"room", room}}.dump();
  }
  std::string leave(std::string_view) const override { return R"({"type":"leave"})"; }

  std::string relay(const RelayMessage& message) const override {
    if (message.to.empty()) return make_relay_text(R"({"type":"message","data":)", message, "}");
    const std::string prefix =
        R"({"type":"message","to":")" + std::string(message.to) + R"(","data":)";
    return make_relay_text(prefix, message, "}");
  }

  Incoming parse(std::string_view text, bool strict) const override {
    Incoming in;
    // Relayed messages are by far the most frequent: recognise them by the
    // payload's "seq" field before paying for a JSON parse.
    if (scan_relayed(text, in.relayed)) {
      in.kind = Kind::kRelayed;
      if (strict) check_relayed(text, in);
      return in;
    }
    const auto json = nlohmann::json::parse(text, nullptr, false);
    if (!json.is_object() || !json.contains("type") || !json["type"].is_string()) {
      return malformed(in, text);
    }
    const auto& type = json["type"].get_ref<const std::string&>();
    auto string_of = [&](const char* key) {
      return json.contains(key) && json[key].is_string() ? json[key].get<std::string>() : "";
    };
    if (type == "welcome") {
      in.kind = Kind::kReady;
      in.id = string_of("id");
      if (in.id.empty()) return malformed(in, text);
    } else if (type == "joined") {
      in.kind = Kind::kJoined;
      in.id = string_of("id");
      if (!json.contains("peers") || !json["peers"].is_array()) return malformed(in, text);
      for (const auto& peer : json["peers"]) {
        if (!peer.is_string()) return malformed(in, text);
        in.peers.push_back(peer.get<std::string>());
      }
    } else if (type == "peer-joined") {
      in.kind = Kind::kPeerJoined;
      in.id = string_of("id");
    } else if (type == "peer-left") {
      in.kind = Kind::kPeerLeft;
      in.id = string_of("id");
    } else if (type == "left") {
      in.kind = Kind::kLeft;
    } else if (type == "full") {
      in.kind = Kind::kFull;
    } else if (type == "pong") {
      in.kind = Kind::kIgnored;
    } else if (type == "error") {
      in.kind = Kind::kServerError;
      in.detail = "error " + string_of("code") + ": " + string_of("message");
    } else {
      return malformed(in, text);
    }
    return in;
  }

 private:
  static Incoming& malformed(Incoming& in, std::string_view text) {
    in.kind = Kind::kMalformed;
    in.detail = "unexpected message: " + std::string(text.substr(0, 160));
    return in;
  }

  // The delivered object must be the sent one with `from` added: type,
  // data (unchanged) and from, plus `to` when the sender addressed one peer.
  static void check_relayed(std::string_view text, Incoming& in) {
    const auto json = nlohmann::json::parse(text, nullptr, false);
    std::string why;
    if (!json.is_object() || json.value("type", "") != "message" || !json.contains("data")) {
      why = "not a relayed message object";
    } else if (!json.contains("from") || !json["from"].is_string() ||
               json["from"].get_ref<const std::string&>() != in.relayed.from) {
      why = "`from` missing, not a string, or not where the scan found it";
    } else if (json.size() != (json.contains("to") ? 4u : 3u)) {
      why = "fields were added or lost";
    } else {
      payload_is_exact(json["data"], in.relayed, why);
    }
    if (!why.empty()) {
      in.kind = Kind::kMalformed;
      in.detail = "relayed message changed (" + why + "): " + std::string(text.substr(0, 160));
    }
  }
};

}  // namespace

std::unique_ptr<Dialect> make_native_dialect() {
  return std::make_unique<NativeDialect>();
}

}  // namespace loadgen
