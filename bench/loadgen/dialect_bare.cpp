// The bare relays' minimal pairing (bench/peers/bare-*-relay.cpp): "J<room>"
// pairs this connection with the other one that names the same room, "L"
// unpairs it; the relay answers "j" and "l". Every other message is forwarded
// as it is, so the receiver finds exactly the bytes that were sent.
#include <nlohmann/json.hpp>

#include "dialect_factories.hpp"
#include "payload_check.hpp"

namespace loadgen {
namespace {

class BareDialect final : public Dialect {
 public:
  std::string_view name() const override { return "bare"; }
  std::string_view default_path() const override { return "/"; }
  bool ready_on_open() const override { return true; }
  bool reports_peer_ids() const override { return false; }
  bool announces_joins() const override { return false; }

  std::string join(std::string_view room) const override {
    std::string text(1, 'J');
    text += room;
    return text;
  }
  std::string leave(std::string_view) const override { return "L"; }

  std::string relay(const RelayMessage& message) const override {
    return make_relay_text(R"({"type":"message","data":)", message, "}");
  }

  Incoming parse(std::string_view text, bool strict) const override {
    Incoming in;
    if (text == "j") {
      in.kind = Kind::kJoined;
    } else if (text == "l") {
      in.kind = Kind::kLeft;
    } else if (text.starts_with('{') && scan_relayed(text, in.relayed)) {
      in.kind = Kind::kRelayed;
      in.relayed.from = {};
      if (strict) check_relayed(text, in);
    } else {
      in.kind = Kind::kMalformed;
      in.detail = "unexpected message: " + std::string(text.substr(0, 160));
    }
    return in;
  }

 private:
  static void check_relayed(std::string_view text, Incoming& in) {
    const auto json = nlohmann::json::parse(text, nullptr, false);
    std::string why;
    if (!json.is_object() || json.size() != 2 || json.value("type", "") != "message" ||
        !json.contains("data")) {
      why = "not the object sent";
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

std::unique_ptr<Dialect> make_bare_dialect() {
  return std::make_unique<BareDialect>();
}

}  // namespace loadgen
