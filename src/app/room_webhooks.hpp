// The rooms' life as webhook events: what app/ hands the room directory, so
// that the directory (which knows no webhooks) feeds the dispatcher (which
// knows no rooms).
#pragma once

#include <cstdint>
#include <string>

#include "rooms/room_lifecycle.hpp"
#include "webhooks/webhook_dispatcher.hpp"

namespace parley {

class RoomWebhooks final : public RoomLifecycle {
 public:
  explicit RoomWebhooks(WebhookSink& sink) : sink_(sink) {}

  void room_started(const std::string& room, std::uint64_t seq) override {
    publish(WebhookEvent::room_started(room), seq);
  }
  void room_finished(const std::string& room, std::uint64_t seq) override {
    publish(WebhookEvent::room_finished(room), seq);
  }
  void peer_joined(const std::string& room, const std::string& peer, const nlohmann::json& meta,
                   std::uint64_t seq) override {
    publish(WebhookEvent::peer_joined(room, peer, meta), seq);
  }
  void peer_left(const std::string& room, const std::string& peer, const nlohmann::json& meta,
                 LeaveReason reason, std::uint64_t seq) override {
    publish(WebhookEvent::peer_left(room, peer, std::string(to_string(reason)), meta), seq);
  }
  void peer_updated(const std::string& room, const std::string& peer, const nlohmann::json& meta,
                    std::uint64_t seq) override {
    publish(WebhookEvent::peer_updated(room, peer, meta), seq);
  }

 private:
  void publish(WebhookEvent event, std::uint64_t seq) {
    event.seq = seq;
    sink_.publish(std::move(event));
  }

  WebhookSink& sink_;
};

}  // namespace parley
