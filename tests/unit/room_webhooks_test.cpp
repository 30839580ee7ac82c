// The rooms' life as webhook events (app/room_webhooks.hpp): each call of the
// registry's RoomLifecycle becomes the contract's event, metadata included.
#include "app/room_webhooks.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

using nlohmann::json;

class RecordingSink final : public WebhookSink {
 public:
  void publish(WebhookEvent event) override { events.push_back(std::move(event)); }
  std::vector<WebhookEvent> events;
};

TEST(RoomWebhooks, EachChangeBecomesItsEvent) {
  RecordingSink sink;
  RoomWebhooks webhooks(sink);
  RoomLifecycle& lifecycle = webhooks;
  const json ann = {{"name", "Ann"}};
  lifecycle.room_started("r", 0);
  lifecycle.peer_joined("r", "p", ann, 0);
  lifecycle.peer_updated("r", "p", json{{"name", "Anna"}}, 0);
  lifecycle.peer_left("r", "p", ann, LeaveReason::leave, 0);
  lifecycle.peer_left("r", "q", json::object(), LeaveReason::disconnect, 0);
  lifecycle.peer_left("r", "s", json::object(), LeaveReason::timeout, 0);
  lifecycle.peer_left("r", "t", json::object(), LeaveReason::kicked, 0);
  lifecycle.room_finished("r", 0);
  ASSERT_EQ(sink.events.size(), 8u);
  EXPECT_EQ(sink.events[0].type, WebhookEventType::room_started);
  EXPECT_EQ(sink.events[0].room, "r");
  EXPECT_EQ(sink.events[1].type, WebhookEventType::peer_joined);
  EXPECT_EQ(sink.events[1].peer, "p");
  EXPECT_EQ(sink.events[1].meta, ann);
  EXPECT_EQ(sink.events[2].type, WebhookEventType::peer_updated);
  EXPECT_EQ(sink.events[2].meta, json({{"name", "Anna"}}));
  EXPECT_EQ(sink.events[3].meta, ann);
  const char* reasons[] = {"leave", "disconnect", "timeout", "kicked"};
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(sink.events[3 + i].type, WebhookEventType::peer_left);
    EXPECT_EQ(sink.events[3 + i].reason, reasons[i]);
  }
  EXPECT_EQ(sink.events[7].type, WebhookEventType::room_finished);
}

TEST(RoomWebhooks, ASeqFromTheDirectoryIsKeptAndZeroLeavesItToTheDispatcher) {
  RecordingSink sink;
  RoomWebhooks webhooks(sink);
  RoomLifecycle& lifecycle = webhooks;
  lifecycle.peer_joined("r", "p", json::object(), 7);  // a cluster's, numbered by Redis
  lifecycle.room_finished("r", 8);
  lifecycle.room_started("s", 0);  // one node's: the dispatcher numbers it
  ASSERT_EQ(sink.events.size(), 3u);
  EXPECT_EQ(sink.events[0].seq, 7u);
  EXPECT_EQ(sink.events[1].seq, 8u);
  EXPECT_EQ(sink.events[2].seq, 0u);
}

}  // namespace
}  // namespace parley
