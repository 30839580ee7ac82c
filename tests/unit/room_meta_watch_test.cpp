// Peer metadata, token grants and watchers in the room directory, without
// sockets (integration-v1 "Peer metadata", "Watching a room", "Token grants").
#include <gtest/gtest.h>

#include <variant>

#include "sync_directory.hpp"

namespace parley {
namespace {

using nlohmann::json;

using testing::Dialect;
using testing::FakeLink;
using RoomRegistry = testing::SyncDirectory;

testing::OwnedDraft relay_of(std::string type) {
  return testing::draft_of("{}", std::move(type));
}

JoinOptions with_meta(json meta, bool pinned = false) {
  JoinOptions options;
  options.meta = std::move(meta);
  options.meta_pinned = pinned;
  return options;
}

class MetaWatchTest : public ::testing::Test {
 protected:
  MetaWatchTest() {
    limits.max_peers_per_room = 10;
    limits.max_watches = 2;
    registry.set_limits(limits);
  }
  std::pair<std::string, std::shared_ptr<FakeLink>> add() {
    auto link = registry.make_link();
    auto c = registry.connect(link);
    return {c.id, link};
  }

  ManualClock clock;
  DirectoryLimits limits;
  RoomRegistry registry{clock, limits};
};

TEST_F(MetaWatchTest, JoinShowsTheOthersMetadataAndAnnouncesTheJoinersOwn) {
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [c, lc] = add();
  registry.join(a, "r", with_meta({{"name", "Ada"}}));
  registry.join(b, "r");  // no metadata: {}
  auto joined = registry.join(c, "r", with_meta({{"name", "Cy"}}));
  EXPECT_EQ(joined.meta, json({{a, {{"name", "Ada"}}}, {b, json::object()}}));
  auto seen = la->of_kind<PeerJoinedEvent>();
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].meta, json::object());
  EXPECT_EQ(seen[1].meta, json({{"name", "Cy"}}));
  EXPECT_EQ(registry.room("r")->meta,
            json({{a, {{"name", "Ada"}}}, {b, json::object()}, {c, {{"name", "Cy"}}}}));
}

TEST_F(MetaWatchTest, UpdateMetaTellsTheOthersNotTheSender) {
  auto [a, la] = add();
  auto [b, lb] = add();
  registry.join(a, "r");
  registry.join(b, "r");
  auto result = registry.update_meta(a, {{"name", "Ada"}});
  EXPECT_EQ(result.status, RoomRegistry::MetaStatus::updated);
  EXPECT_EQ(result.room, "r");
  auto updates = lb->of_kind<PeerUpdatedEvent>();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].id, a);
  EXPECT_EQ(updates[0].meta, json({{"name", "Ada"}}));
  EXPECT_TRUE(la->of_kind<PeerUpdatedEvent>().empty());
  EXPECT_EQ(registry.room("r")->meta[a], json({{"name", "Ada"}}));
}

TEST_F(MetaWatchTest, UpdateMetaOutsideARoomOrWhenPinned) {
  auto [a, la] = add();
  auto [b, lb] = add();
  EXPECT_EQ(registry.update_meta(a, json::object()).status, RoomRegistry::MetaStatus::not_in_room);
  registry.join(b, "r", with_meta({{"name", "Bea"}}, /*pinned=*/true));
  EXPECT_EQ(registry.update_meta(b, {{"name", "Mallory"}}).status,
            RoomRegistry::MetaStatus::forbidden);
  EXPECT_EQ(registry.room("r")->meta[b], json({{"name", "Bea"}}));
  // Pinning belongs to the seat: after leaving and joining without it, updates work.
  registry.leave(b);
  registry.join(b, "r");
  EXPECT_EQ(registry.room("r")->meta[b], json::object());
  EXPECT_EQ(registry.update_meta(b, {{"n", 1}}).status, RoomRegistry::MetaStatus::updated);
}

TEST_F(MetaWatchTest, MaxPeersSetsTheCapacityOfTheRoomItCreatesOnly) {
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [c, lc] = add();
  auto [d, ld] = add();
  JoinOptions three;
  three.max_peers = 3;
  JoinOptions one;
  one.max_peers = 1;
  registry.join(a, "r", three);
  registry.join(b, "r", one);  // the room exists: ignored
  EXPECT_EQ(registry.join(c, "r").status, RoomRegistry::JoinStatus::joined);
  EXPECT_EQ(registry.join(d, "r").status, RoomRegistry::JoinStatus::full);
  // Beyond the configured limit too.
  limits.max_peers_per_room = 1;
  registry.set_limits(limits);
  auto [e, le] = add();
  auto [f, lf] = add();
  JoinOptions two;
  two.max_peers = 2;
  registry.join(e, "s", two);
  EXPECT_EQ(registry.join(f, "s").status, RoomRegistry::JoinStatus::joined);
}

TEST_F(MetaWatchTest, RelayGrantForbidsOtherTypesAndNothingIsDelivered) {
  auto [a, la] = add();
  auto [v, lv] = add();
  registry.join(a, "r");
  JoinOptions viewer;
  viewer.relays = kRelayAnswer | kRelayCandidate;
  registry.join(v, "r", viewer);
  la->events.clear();
  EXPECT_EQ(registry.relay(v, nullptr, relay_of("offer")), RoomRegistry::RelayStatus::forbidden);
  EXPECT_EQ(registry.relay(v, &a, relay_of("message")), RoomRegistry::RelayStatus::forbidden);
  EXPECT_TRUE(la->events.empty());
  EXPECT_EQ(registry.relay(v, nullptr, relay_of("answer")), RoomRegistry::RelayStatus::ok);
  EXPECT_EQ(registry.relay(v, nullptr, relay_of("candidate")), RoomRegistry::RelayStatus::ok);
  EXPECT_EQ(la->events.size(), 2u);
  // The others are not limited by the viewer's grant.
  EXPECT_EQ(registry.relay(a, nullptr, relay_of("offer")), RoomRegistry::RelayStatus::ok);
}

TEST_F(MetaWatchTest, WatcherSeesPresenceButNoRelaysAndTakesNoSeat) {
  auto [w, lw] = add();
  auto [a, la] = add();
  auto [b, lb] = add();
  auto watching = registry.watch(w, "r");
  EXPECT_EQ(watching.status, RoomRegistry::WatchStatus::watching);
  EXPECT_TRUE(watching.peers.empty());
  EXPECT_EQ(registry.room_count(), 0u);  // watching creates no room

  registry.join(a, "r", with_meta({{"name", "Ada"}}));
  registry.join(b, "r");
  EXPECT_EQ(registry.room("r")->peers, (std::vector<std::string>{a, b}));  // not w
  registry.relay(a, nullptr, relay_of("offer"));
  registry.update_meta(b, {{"name", "Bea"}});
  registry.leave(a);

  ASSERT_EQ(lw->events.size(), 4u);
  EXPECT_EQ(std::get<PeerJoinedEvent>(lw->events[0]).meta, json({{"name", "Ada"}}));
  EXPECT_EQ(std::get<PeerJoinedEvent>(lw->events[1]).id, b);
  EXPECT_EQ(std::get<PeerUpdatedEvent>(lw->events[2]).meta, json({{"name", "Bea"}}));
  EXPECT_EQ(std::get<PeerLeftEvent>(lw->events[3]).id, a);
  EXPECT_TRUE(lw->of_kind<RelayEvent>().empty());
  // A full room is full for joiners, whatever the watchers.
  limits.max_peers_per_room = 1;
  registry.set_limits(limits);
  EXPECT_EQ(registry.room("r")->peers.size(), 1u);
}

TEST_F(MetaWatchTest, WatchingAnExistingRoomListsItsPeersAndMetadata) {
  auto [a, la] = add();
  auto [w, lw] = add();
  registry.join(a, "r", with_meta({{"name", "Ada"}}));
  auto watching = registry.watch(w, "r");
  EXPECT_EQ(watching.peers, std::vector<std::string>{a});
  EXPECT_EQ(watching.meta, json({{a, {{"name", "Ada"}}}}));
  EXPECT_TRUE(la->events.empty());  // the room is not told
}

TEST_F(MetaWatchTest, AWatcherDoesNotKeepARoomAlive) {
  auto [a, la] = add();
  auto [w, lw] = add();
  registry.join(a, "r");
  registry.watch(w, "r");
  registry.leave(a);
  EXPECT_EQ(registry.room_count(), 0u);
  EXPECT_EQ(lw->of_kind<PeerLeftEvent>().size(), 1u);
  // ... and hears of the room's next life.
  registry.join(a, "r");
  EXPECT_EQ(lw->of_kind<PeerJoinedEvent>().size(), 1u);
}

TEST_F(MetaWatchTest, WatchLimitUnwatchAndRepeatedWatch) {
  auto [w, lw] = add();
  EXPECT_EQ(registry.watch(w, "a").status, RoomRegistry::WatchStatus::watching);
  EXPECT_EQ(registry.watch(w, "b").status, RoomRegistry::WatchStatus::watching);
  EXPECT_EQ(registry.watch(w, "a").status, RoomRegistry::WatchStatus::watching);  // no new slot
  EXPECT_EQ(registry.watch(w, "c").status, RoomRegistry::WatchStatus::watch_limit);
  EXPECT_EQ(registry.watch_count(), 2u);
  EXPECT_FALSE(registry.unwatch(w, "c"));
  EXPECT_TRUE(registry.unwatch(w, "a"));
  EXPECT_FALSE(registry.unwatch(w, "a"));
  EXPECT_EQ(registry.watch(w, "c").status, RoomRegistry::WatchStatus::watching);
  // After unwatching, nothing more arrives.
  registry.unwatch(w, "b");
  auto [a, la] = add();
  registry.join(a, "b");
  EXPECT_TRUE(lw->events.empty());
}

TEST_F(MetaWatchTest, AMemberWatchingItsOwnRoomHearsEachEventOnce) {
  auto [a, la] = add();
  auto [b, lb] = add();
  registry.join(a, "r");
  registry.watch(a, "r");
  registry.join(b, "r");
  registry.update_meta(b, {{"n", 1}});
  registry.leave(b);
  EXPECT_EQ(la->of_kind<PeerJoinedEvent>().size(), 1u);
  EXPECT_EQ(la->of_kind<PeerUpdatedEvent>().size(), 1u);
  EXPECT_EQ(la->of_kind<PeerLeftEvent>().size(), 1u);
}

TEST_F(MetaWatchTest, WatchesEndWithTheConnectionLostOrEnded) {
  auto [w, lw] = add();
  auto [x, lx] = add();
  registry.watch(w, "r");
  registry.watch(x, "r");
  registry.lost(w, lw.get());  // away, resumable, but its watches are gone
  registry.end(x, lx.get());
  EXPECT_EQ(registry.watch_count(), 0u);
  auto [a, la] = add();
  registry.join(a, "r");
  EXPECT_TRUE(lw->events.empty());
}

TEST_F(MetaWatchTest, KickedRoomIsReportedToWatchers) {
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [w, lw] = add();
  registry.join(a, "r");
  registry.join(b, "r");
  registry.watch(w, "r");
  registry.kick_room("r");
  auto left = lw->of_kind<PeerLeftEvent>();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].reason, LeaveReason::kicked);
}

TEST_F(MetaWatchTest, MetadataAndGrantsSurviveAResume) {
  limits.resume_grace = 10;
  registry.set_limits(limits);
  auto [a, la] = add();
  registry.join(a, "r", with_meta({{"name", "Ada"}}));
  auto link = registry.make_link();
  auto conn = registry.connect(link);
  JoinOptions viewer = with_meta({{"name", "Bea"}}, /*pinned=*/true);
  viewer.relays = kRelayAnswer;
  registry.join(conn.id, "r", viewer);
  registry.lost(conn.id, link.get());
  auto fresh = registry.connect(registry.make_link());
  auto back = registry.resume(conn.resume_token, fresh.id, registry.make_link());
  ASSERT_TRUE(back);
  EXPECT_EQ(back->meta, json({{a, {{"name", "Ada"}}}}));
  EXPECT_EQ(registry.room("r")->meta[conn.id], json({{"name", "Bea"}}));
  EXPECT_EQ(registry.update_meta(conn.id, json::object()).status,
            RoomRegistry::MetaStatus::forbidden);
  EXPECT_EQ(registry.relay(conn.id, nullptr, relay_of("offer")),
            RoomRegistry::RelayStatus::forbidden);
  EXPECT_EQ(registry.relay(conn.id, nullptr, relay_of("answer")), RoomRegistry::RelayStatus::ok);
}

}  // namespace
}  // namespace parley
