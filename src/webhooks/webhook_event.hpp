// A webhook event and its wire form (integration-v1.md, "Webhooks"): what
// happened, to which room and peer, and the JSON body every URL receives.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parley {

enum class WebhookEventType { room_started, room_finished, peer_joined, peer_left, peer_updated };
std::string_view to_string(WebhookEventType type);

struct WebhookEvent {
  WebhookEventType type = WebhookEventType::room_started;
  std::string room;
  std::string peer;                                // peer events only
  nlohmann::json meta = nlohmann::json::object();  // peer events only; {} when none
  std::string reason;  // peer-left only: leave, disconnect, timeout, kicked
  // Its number in the room's history when the room directory numbered it (a
  // cluster's, so that every node agrees); 0: the dispatcher numbers it.
  std::uint64_t seq = 0;

  static WebhookEvent room_started(std::string room);
  static WebhookEvent room_finished(std::string room);
  static WebhookEvent peer_joined(std::string room, std::string peer,
                                  nlohmann::json meta = nlohmann::json::object());
  static WebhookEvent peer_left(std::string room, std::string peer, std::string reason,
                                nlohmann::json meta = nlohmann::json::object());
  static WebhookEvent peer_updated(std::string room, std::string peer, nlohmann::json meta);

  bool is_peer_event() const {
    return type != WebhookEventType::room_started && type != WebhookEventType::room_finished;
  }
};

// Where an event stands in its room's history and when it happened, fixed when
// it is published.
struct WebhookStamp {
  std::string id;          // unique event id
  std::uint64_t seq = 0;   // 1 for the room's room-started, then +1 per event of the room
  std::int64_t at_ms = 0;  // Unix time in milliseconds
};

// The compact JSON body: id, event, room, seq, at, and for peer events peer,
// meta and (peer-left) reason.
std::string webhook_body(const WebhookEvent& event, const WebhookStamp& stamp);

}  // namespace parley
