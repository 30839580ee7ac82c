#include "webhooks/webhook_event.hpp"

namespace parley {

std::string_view to_string(WebhookEventType type) {
  switch (type) {
    case WebhookEventType::room_started:
      return "room-started";
    case WebhookEventType::room_finished:
      return "room-finished";
    case WebhookEventType::peer_joined:
      return "peer-joined";
    case WebhookEventType::peer_left:
      return "peer-left";
    case WebhookEventType::peer_updated:
      return "peer-updated";
  }
  return "unknown";
}

WebhookEvent WebhookEvent::room_started(std::string room) {
  return {WebhookEventType::room_started, std::move(room), {}, nlohmann::json::object(), {}};
}

WebhookEvent WebhookEvent::room_finished(std::string room) {
  return {WebhookEventType::room_finished, std::move(room), {}, nlohmann::json::object(), {}};
}

WebhookEvent WebhookEvent::peer_joined(std::string room, std::string peer, nlohmann::json meta) {
  return {WebhookEventType::peer_joined, std::move(room), std::move(peer), std::move(meta), {}};
}

WebhookEvent WebhookEvent::peer_left(std::string room, std::string peer, std::string reason,
                                     nlohmann::json meta) {
  return {WebhookEventType::peer_left, std::move(room), std::move(peer), std::move(meta),
          std::move(reason)};
}

WebhookEvent WebhookEvent::peer_updated(std::string room, std::string peer, nlohmann::json meta) {
  return {WebhookEventType::peer_updated, std::move(room), std::move(peer), std::move(meta), {}};
}

std::string webhook_body(const WebhookEvent& event, const WebhookStamp& stamp) {
  // ordered_json keeps the fields in the order of the contract, which makes
  // bodies easy to read in a receiver's log.
  nlohmann::ordered_json body;
  body["id"] = stamp.id;
  body["event"] = to_string(event.type);
  body["room"] = event.room;
  body["seq"] = stamp.seq;
  body["at"] = stamp.at_ms;
  if (event.is_peer_event()) {
    body["peer"] = event.peer;
    body["meta"] = event.meta.is_object() ? event.meta : nlohmann::json::object();
    if (event.type == WebhookEventType::peer_left) body["reason"] = event.reason;
  }
  // Room names and ids come from clients: replace invalid UTF-8 instead of
  // throwing (the registry accepts whatever the client's JSON parser did).
  return body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace parley
