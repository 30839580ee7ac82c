// The in-process room directory without sockets: rooms appear on the first join
// and vanish with the last peer, capacity and room limits, relay targeting,
// presence events, admin kicks. (Resume is covered in registry_resume_test.cpp,
// what every directory must do in room_directory_contract_test.cpp.)
#include "sync_directory.hpp"

#include <gtest/gtest.h>

#include <set>
#include <variant>

namespace parley {
namespace {

using testing::Dialect;
using testing::FakeLink;
using RoomRegistry = testing::SyncDirectory;

testing::OwnedDraft relay_of(const std::string& body) {
  return testing::draft_of(body, "offer");
}

class RegistryTest : public ::testing::Test {
 protected:
  std::pair<std::string, std::shared_ptr<FakeLink>> add(Dialect d = Dialect::native) {
    auto link = registry.make_link(d);
    auto c = registry.connect(link);
    return {c.id, link};
  }

  ManualClock clock;
  DirectoryLimits limits;
  RoomRegistry registry{clock, limits};
};

TEST_F(RegistryTest, IdsAreUniqueAndUrlSafe) {
  std::set<std::string> ids;
  for (int i = 0; i < 1000; ++i) {
    auto [id, link] = add();
    EXPECT_LE(id.size(), 32u);
    EXPECT_EQ(
        id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    ids.insert(id);
  }
  EXPECT_EQ(ids.size(), 1000u);
}

TEST_F(RegistryTest, RoomIsCreatedOnFirstJoinAndDestroyedWithTheLastPeer) {
  auto [a, la] = add();
  auto [b, lb] = add();
  EXPECT_EQ(registry.room_count(), 0u);
  auto ja = registry.join(a, "r");
  EXPECT_EQ(ja.status, RoomRegistry::JoinStatus::joined);
  EXPECT_TRUE(ja.peers.empty());
  EXPECT_EQ(registry.room_count(), 1u);
  auto jb = registry.join(b, "r");
  EXPECT_EQ(jb.peers, std::vector<std::string>{a});
  ASSERT_EQ(la->events.size(), 1u);
  auto joined = std::get<PeerJoinedEvent>(la->events[0]);
  EXPECT_EQ(joined.id, b);
  EXPECT_EQ(joined.room, "r");
  EXPECT_EQ(registry.peer_count(), 2u);

  EXPECT_EQ(registry.leave(a), "r");
  ASSERT_EQ(lb->events.size(), 1u);
  auto left = std::get<PeerLeftEvent>(lb->events[0]);
  EXPECT_EQ(left.id, a);
  EXPECT_EQ(left.reason, LeaveReason::leave);
  EXPECT_EQ(registry.room_count(), 1u);
  registry.end(b, lb.get());
  EXPECT_EQ(registry.room_count(), 0u);
  EXPECT_EQ(registry.peer_count(), 0u);
  EXPECT_EQ(registry.connected_count(), 1u);  // a is still connected, in no room
}

TEST_F(RegistryTest, FullRoomRefusesAndLeavesTheJoinerOutside) {
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [c, lc] = add();
  registry.join(a, "r");
  registry.join(b, "r");
  EXPECT_EQ(registry.join(c, "r").status, RoomRegistry::JoinStatus::full);
  EXPECT_FALSE(registry.room_of(c));
  EXPECT_EQ(registry.room("r")->peers.size(), 2u);
}

TEST_F(RegistryTest, RoomLimitRefusesNewRoomsButNotExistingOnes) {
  limits.max_rooms = 1;
  limits.max_peers_per_room = 3;
  registry.set_limits(limits);
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [c, lc] = add();
  registry.join(a, "one");
  EXPECT_EQ(registry.join(b, "two").status, RoomRegistry::JoinStatus::room_limit);
  EXPECT_EQ(registry.join(c, "one").status, RoomRegistry::JoinStatus::joined);
}

TEST_F(RegistryTest, OneRoomPerPeer) {
  auto [a, la] = add();
  registry.join(a, "r");
  EXPECT_EQ(registry.join(a, "s").status, RoomRegistry::JoinStatus::already_in_room);
  EXPECT_EQ(registry.join(a, "r").status, RoomRegistry::JoinStatus::already_in_room);
}

TEST_F(RegistryTest, RelayReachesEveryOtherPeerOrOnlyTheTarget) {
  limits.max_peers_per_room = 4;
  registry.set_limits(limits);
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [c, lc] = add();
  auto [d, ld] = add();
  for (auto* id : {&a, &b, &c}) registry.join(*id, "r");
  registry.join(d, "elsewhere");
  la->events.clear();
  lb->events.clear();
  lc->events.clear();

  EXPECT_EQ(registry.relay(a, nullptr, relay_of("all")), RoomRegistry::RelayStatus::ok);
  EXPECT_TRUE(la->events.empty());  // never back to the sender
  ASSERT_EQ(lb->events.size(), 1u);
  ASSERT_EQ(lc->events.size(), 1u);
  EXPECT_EQ(std::get<RelayEvent>(lb->events[0]).message->text, "all");
  EXPECT_TRUE(ld->events.empty());  // never across rooms

  EXPECT_EQ(registry.relay(a, &c, relay_of("just c")), RoomRegistry::RelayStatus::ok);
  EXPECT_EQ(lb->events.size(), 1u);
  ASSERT_EQ(lc->events.size(), 2u);
  EXPECT_EQ(std::get<RelayEvent>(lc->events[1]).message->text, "just c");

  EXPECT_EQ(registry.relay(a, &d, relay_of("x")), RoomRegistry::RelayStatus::unknown_peer);
  EXPECT_EQ(registry.relay(a, &a, relay_of("x")), RoomRegistry::RelayStatus::unknown_peer);
  const std::string nobody = "nobody";
  EXPECT_EQ(registry.relay(a, &nobody, relay_of("x")), RoomRegistry::RelayStatus::unknown_peer);
  EXPECT_TRUE(ld->events.empty());
}

TEST_F(RegistryTest, RelayOutsideARoomIsRefused) {
  auto [a, la] = add();
  EXPECT_EQ(registry.relay(a, nullptr, relay_of("x")), RoomRegistry::RelayStatus::not_in_room);
  const std::string someone = "someone";
  EXPECT_EQ(registry.relay(a, &someone, relay_of("x")), RoomRegistry::RelayStatus::not_in_room);
}

TEST_F(RegistryTest, EndTellsTheOthersDisconnectAndIgnoresAStaleLink) {
  auto [a, la] = add();
  auto [b, lb] = add();
  registry.join(a, "r");
  registry.join(b, "r");
  auto stranger = registry.make_link();
  registry.end(a, stranger.get());  // not a's link: nothing happens
  EXPECT_EQ(registry.room("r")->peers.size(), 2u);
  registry.end(a, la.get());
  auto left = std::get<PeerLeftEvent>(lb->events.back());
  EXPECT_EQ(left.reason, LeaveReason::disconnect);
  EXPECT_EQ(registry.room("r")->peers, std::vector<std::string>{b});
}

TEST_F(RegistryTest, KickPeerTellsItLeftAndTheOthersKicked) {
  auto [a, la] = add();
  auto [b, lb] = add();
  registry.join(a, "r");
  registry.join(b, "r");
  EXPECT_TRUE(registry.kick_peer(a));
  auto removed = std::get<RemovedEvent>(la->events.back());
  EXPECT_EQ(removed.reason, LeaveReason::kicked);
  EXPECT_EQ(removed.room, "r");
  auto left = std::get<PeerLeftEvent>(lb->events.back());
  EXPECT_EQ(left.reason, LeaveReason::kicked);
  EXPECT_EQ(left.id, a);
  EXPECT_FALSE(registry.kick_peer(a));  // no longer in a room
  EXPECT_FALSE(registry.kick_peer("nobody"));
}

TEST_F(RegistryTest, KickRoomRemovesEveryoneWithOnlyLeft) {
  auto [a, la] = add();
  auto [b, lb] = add();
  registry.join(a, "r");
  registry.join(b, "r");
  la->events.clear();
  EXPECT_TRUE(registry.kick_room("r"));
  ASSERT_EQ(la->events.size(), 1u);
  ASSERT_EQ(lb->events.size(), 1u);
  EXPECT_EQ(std::get<RemovedEvent>(la->events[0]).reason, LeaveReason::kicked);
  EXPECT_EQ(std::get<RemovedEvent>(lb->events[0]).reason, LeaveReason::kicked);
  EXPECT_EQ(registry.room_count(), 0u);
  EXPECT_FALSE(registry.kick_room("r"));
}

TEST_F(RegistryTest, RoomsListInNameOrderWithPeersInJoinOrder) {
  limits.max_peers_per_room = 3;
  registry.set_limits(limits);
  auto [a, la] = add();
  auto [b, lb] = add();
  auto [c, lc] = add();
  registry.join(b, "zeta");
  registry.join(a, "alpha");
  registry.join(c, "zeta");
  auto rooms = registry.rooms();
  ASSERT_EQ(rooms.size(), 2u);
  EXPECT_EQ(rooms[0].name, "alpha");
  EXPECT_EQ(rooms[1].name, "zeta");
  EXPECT_EQ(rooms[1].peers, (std::vector<std::string>{b, c}));
  EXPECT_EQ(rooms[1].created_unix, clock.unix_now());
}

}  // namespace
}  // namespace parley
