// The rooms' life as webhook events: what app/ hands the room registry, so
// that the registry (which knows no webhooks) feeds the dispatcher (which knows
// no rooms).
#pragma once

#include <string>

#include "rooms/room_lifecycle.hpp"
#include "webhooks/webhook_dispatcher.hpp"

namespace parley {

class RoomWebhooks final : public RoomLifecycle {
 public:
  explicit RoomWebhooks(WebhookSink& sink) : sink_(sink) {}

  void room_started(const std::string& room) override {
    sink_.publish(WebhookEvent::room_started(room));
  }
  void room_finished(const std::string& room) override {
    sink_.publish(WebhookEvent::room_finished(room));
  }
  void peer_joined(const std::string& room, const std::string& peer,
                   const nlohmann::json& meta) override {
    sink_.publish(WebhookEvent::peer_joined(room, peer, meta));
  }
  void peer_left(const std::string& room, const std::string& peer, const nlohmann::json& meta,
                 LeaveReason reason) override {
    sink_.publish(WebhookEvent::peer_left(room, peer, std::string(to_string(reason)), meta));
  }
  void peer_updated(const std::string& room, const std::string& peer,
                    const nlohmann::json& meta) override {
    sink_.publish(WebhookEvent::peer_updated(room, peer, meta));
  }

 private:
  WebhookSink& sink_;
};

}  // namespace parley
