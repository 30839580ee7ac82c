// The typed calls of the room scripts (cluster_rooms.hpp) against a real
// redis-server, two nodes on one Redis: every reply decodes into its struct
// (join order with each peer's node, kept messages of a claim, restore
// conflicts), and a Redis that is gone is a `failed` outcome, not a crash.
#include "cluster/cluster_rooms.hpp"

#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "event_loop.hpp"
#include "redis_server.hpp"

namespace parley {
namespace {

using test::RedisServer;
using test::run_until;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ClusterRoomsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a = make("nodeA");
    b = make("nodeB");
    ASSERT_TRUE(run_until(context, [&] { return a_plane->ready() && b_plane->ready(); }));
  }
  void TearDown() override {
    a_plane->stop();
    b_plane->stop();
    context.restart();
    context.run();
  }
  std::unique_ptr<ClusterRooms> make(const std::string& node) {
    BackplaneOptions options;
    std::string error;
    options.redis.url = parse_redis_url(server.url(), error).value();
    options.redis.backoff_initial = 0.02;
    options.redis.backoff_most = 0.2;
    options.node_id = node;
    auto plane = ClusterBackplane::create(context.get_executor(), options);
    auto& events = node == "nodeA" ? a_events : b_events;
    plane->on_event([&events](const NodeEvent& event) { events.push_back(event); });
    plane->start();
    (node == "nodeA" ? a_plane : b_plane) = plane;
    return std::make_unique<ClusterRooms>(plane);
  }
  // Runs one typed call to its completion.
  template <class T, class Start>
  T await(Start&& start) {
    std::optional<T> result;
    start([&](T value) { result = std::move(value); });
    EXPECT_TRUE(run_until(context, [&] { return result.has_value(); }));
    return result.value_or(T{});
  }
  void connect(ClusterRooms& node, const std::string& id, const std::string& token) {
    std::optional<std::pair<bool, bool>> result;
    node.connect(id, token, true,
                 [&](bool ok, bool registered) { result.emplace(ok, registered); });
    ASSERT_TRUE(run_until(context, [&] { return result.has_value(); }));
    ASSERT_EQ(*result, std::make_pair(true, true)) << id;
  }
  ClusterJoin join(ClusterRooms& node, const std::string& id, const std::string& room,
                   std::size_t max_peers = 3, const ClusterSeat& seat = {}) {
    return await<ClusterJoin>([&](auto done) { node.join(id, room, max_peers, 100, seat, done); });
  }
  bool await_events(const std::vector<NodeEvent>& events, std::size_t count) {
    return run_until(context, [&] { return events.size() >= count; });
  }

  RedisServer server;
  boost::asio::io_context context;
  std::shared_ptr<ClusterBackplane> a_plane, b_plane;
  std::unique_ptr<ClusterRooms> a, b;
  std::vector<NodeEvent> a_events, b_events;
};

TEST_F(ClusterRoomsTest, JoinLeaveAndEndDecodeTheRoomsPeersWithTheirNodes) {
  connect(*a, "pa", "ta");
  connect(*b, "pb", "tb");
  connect(*a, "pc", "tc");
  EXPECT_EQ(join(*a, "pa", "room").status, ClusterJoin::Status::joined);
  const ClusterJoin second = join(*b, "pb", "room");
  ASSERT_EQ(second.status, ClusterJoin::Status::joined);
  EXPECT_GT(second.seq, 0);
  EXPECT_THAT(second.others, ElementsAre(ClusterMember{"pa", "nodeA"}));
  EXPECT_EQ(join(*a, "pc", "room", 2).status, ClusterJoin::Status::full);
  EXPECT_EQ(join(*a, "pa", "other").status, ClusterJoin::Status::already_in_room);
  EXPECT_EQ(join(*a, "nobody", "room").status, ClusterJoin::Status::no_such_peer);

  const auto left = await<ClusterLeave>([&](auto done) { a->leave("pa", "leave", done); });
  EXPECT_FALSE(left.failed);
  EXPECT_EQ(left.room, "room");
  EXPECT_THAT(left.remaining, ElementsAre(ClusterMember{"pb", "nodeB"}));
  const auto again = await<ClusterLeave>([&](auto done) { a->leave("pa", "leave", done); });
  EXPECT_EQ(again.room, "");

  // Only the peer's own node may end it.
  EXPECT_EQ(await<ClusterLeave>([&](auto done) { a->end("pb", "disconnect", done); }).room, "");
  const auto ended = await<ClusterLeave>([&](auto done) { b->end("pb", "disconnect", done); });
  EXPECT_EQ(ended.room, "room");
  EXPECT_THAT(ended.remaining, IsEmpty());
}

TEST_F(ClusterRoomsTest, RelayKeepsForAnAwayPeerAndAClaimOnAnotherNodeTakesThem) {
  connect(*a, "pa", "ta");
  connect(*b, "pb", "tb");
  join(*a, "pa", "room");
  join(*b, "pb", "room");
  auto relay = [&](const std::string& text) {
    return await<ClusterRelay>([&](auto done) { b->relay("pb", "", 64, "message", text, done); });
  };
  const ClusterRelay live = relay("one");
  EXPECT_EQ(live.status, ClusterRelay::Status::ok);
  EXPECT_THAT(live.here, IsEmpty());  // pa is on the other node
  EXPECT_EQ(
      await<ClusterRelay>([&](auto done) { b->relay("pb", "nobody", 64, "m", "x", done); }).status,
      ClusterRelay::Status::unknown_peer);

  std::optional<bool> lost;
  a->lost("pa", 30, [&](bool ok) { lost = ok; });
  ASSERT_TRUE(run_until(context, [&] { return lost.has_value(); }));
  EXPECT_TRUE(*lost);
  // Not sealed yet: the claim must wait for the old node's hand-over.
  EXPECT_EQ(await<ClusterClaim>([&](auto done) { b->claim("ta", "ta2", "", done); }).status,
            ClusterClaim::Status::wait);
  EXPECT_EQ(relay("three").status, ClusterRelay::Status::ok);  // kept in Redis
  std::optional<bool> sealed;
  a->seal("pa", 64, {"two"}, [&](bool ok) { sealed = ok; });
  ASSERT_TRUE(run_until(context, [&] { return sealed.has_value(); }));
  EXPECT_TRUE(*sealed);

  connect(*b, "provisional", "");
  const auto claim =
      await<ClusterClaim>([&](auto done) { b->claim("ta", "ta2", "provisional", done); });
  ASSERT_EQ(claim.status, ClusterClaim::Status::resumed);
  EXPECT_EQ(claim.id, "pa");
  EXPECT_EQ(claim.room, "room");
  EXPECT_THAT(claim.others, ElementsAre(ClusterMember{"pb", "nodeB"}));
  EXPECT_THAT(claim.kept, ElementsAre("two", "three"));  // the held one first
  // Single use: the old token is spent, the new one works.
  EXPECT_EQ(await<ClusterClaim>([&](auto done) { a->claim("ta", "ta3", "", done); }).status,
            ClusterClaim::Status::failed);
  EXPECT_EQ(server.command({"EXISTS", "parley:peer:provisional"}).integer, 0);
}

TEST_F(ClusterRoomsTest, AdminQueriesAndRestore) {
  connect(*a, "pa", "ta");
  join(*a, "pa", "room");
  std::optional<std::optional<ClusterRoom>> room;
  a->room("room", [&](bool ok, std::optional<ClusterRoom> r) {
    EXPECT_TRUE(ok);
    room = std::move(r);
  });
  ASSERT_TRUE(run_until(context, [&] { return room.has_value(); }));
  ASSERT_TRUE(room->has_value());
  EXPECT_THAT((*room)->peers, ElementsAre("pa"));
  EXPECT_GT((*room)->created_unix, 0);

  std::optional<std::vector<ClusterRoom>> all;
  b->rooms([&](bool ok, std::vector<ClusterRoom> r) {
    EXPECT_TRUE(ok);
    all = std::move(r);
  });
  ASSERT_TRUE(run_until(context, [&] { return all.has_value(); }));
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].name, "room");

  // Redis lost everything: node A registers its peer again with its seat;
  // a peer that node B holds meanwhile is a conflict.
  server.command({"FLUSHALL"});
  connect(*b, "pb", "tb");
  std::optional<std::vector<std::string>> conflicts;
  a->restore({{"pa", "ta", true, "room", 7, {R"({"n":1})", true, "15", std::nullopt}},
              {"pb", "tb", true, "", 0, {}}},
             [&](bool ok, std::vector<std::string> c) {
               EXPECT_TRUE(ok);
               conflicts = std::move(c);
             });
  ASSERT_TRUE(run_until(context, [&] { return conflicts.has_value(); }));
  EXPECT_THAT(*conflicts, ElementsAre("pb"));
  EXPECT_EQ(server.command({"ZSCORE", "parley:room:room", "pa"}).text, "7");
  EXPECT_EQ(server.command({"HGET", "parley:peer:pa", "meta"}).text, R"({"n":1})");
  EXPECT_EQ(server.command({"HGET", "parley:peer:pa", "pinned"}).text, "1");
}

TEST_F(ClusterRoomsTest, MetadataAndGrantsTravelWithTheSeatAcrossNodes) {
  connect(*a, "pa", "ta");
  connect(*b, "pb", "tb");
  ClusterSeat seat{R"({"name":"ann"})", true, "3", std::nullopt};
  ASSERT_EQ(join(*a, "pa", "room", 3, seat).status, ClusterJoin::Status::joined);
  const ClusterJoin second = join(*b, "pb", "room", 3, {R"({"name":"bob"})", false, "", {}});
  EXPECT_THAT(second.others, ElementsAre(ClusterMember{"pa", "nodeA", R"({"name":"ann"})"}));
  // Node A hears of pb with its metadata.
  ASSERT_TRUE(await_events(a_events, 1));
  EXPECT_EQ(a_events[0].kind, NodeEvent::Kind::joined);
  EXPECT_EQ(a_events[0].meta, R"({"name":"bob"})");

  // pb may change its metadata: node A hears `updated`; pa's is pinned.
  const auto updated =
      await<ClusterMeta>([&](auto done) { b->update_meta("pb", R"({"name":"b2"})", done); });
  ASSERT_EQ(updated.status, ClusterMeta::Status::updated);
  EXPECT_EQ(updated.room, "room");
  ASSERT_TRUE(await_events(a_events, 2));
  EXPECT_EQ(a_events[1].kind, NodeEvent::Kind::updated);
  EXPECT_EQ(a_events[1].meta, R"({"name":"b2"})");
  EXPECT_EQ(await<ClusterMeta>([&](auto done) { a->update_meta("pa", "{}", done); }).status,
            ClusterMeta::Status::forbidden);
  EXPECT_EQ(await<ClusterMeta>([&](auto done) { a->update_meta("nobody", "{}", done); }).status,
            ClusterMeta::Status::not_in_room);

  // pa moves to node B: its metadata and grants come along.
  std::optional<bool> lost, sealed;
  a->lost("pa", 30, [&](bool ok) { lost = ok; });
  ASSERT_TRUE(run_until(context, [&] { return lost.has_value(); }));
  a->seal("pa", 64, {}, [&](bool ok) { sealed = ok; });
  ASSERT_TRUE(run_until(context, [&] { return sealed.has_value(); }));
  const auto claim = await<ClusterClaim>([&](auto done) { b->claim("ta", "ta2", "", done); });
  ASSERT_EQ(claim.status, ClusterClaim::Status::resumed);
  EXPECT_EQ(claim.seat.meta, R"({"name":"ann"})");
  EXPECT_TRUE(claim.seat.pinned);
  EXPECT_EQ(claim.seat.relays, "3");
  EXPECT_THAT(claim.others, ElementsAre(ClusterMember{"pb", "nodeB", R"({"name":"b2"})"}));

  // The admin's view carries it too; leaving drops it with the seat.
  std::optional<ClusterRoom> room;
  a->room("room", [&](bool, std::optional<ClusterRoom> r) { room = std::move(r); });
  ASSERT_TRUE(run_until(context, [&] { return room.has_value(); }));
  EXPECT_THAT(room->metas, ElementsAre(R"({"name":"ann"})", R"({"name":"b2"})"));
  await<ClusterLeave>([&](auto done) { b->leave("pa", "leave", done); });
  EXPECT_EQ(server.command({"HGET", "parley:peer:pa", "meta"}).text, "");
}

TEST_F(ClusterRoomsTest, ARoomCreatedWithItsOwnCapacityKeepsIt) {
  for (const char* id : {"p1", "p2", "p3"}) connect(*a, id, std::string("t") + id);
  ASSERT_EQ(join(*a, "p1", "small", 5, {"{}", false, "", 2}).status, ClusterJoin::Status::joined);
  EXPECT_EQ(join(*a, "p2", "small", 5).status, ClusterJoin::Status::joined);
  EXPECT_EQ(join(*a, "p3", "small", 5).status, ClusterJoin::Status::full);
  // Gone with the room.
  await<ClusterLeave>([&](auto done) { a->leave("p1", "leave", done); });
  await<ClusterLeave>([&](auto done) { a->leave("p2", "leave", done); });
  EXPECT_EQ(server.command({"HEXISTS", "parley:roommax", "small"}).integer, 0);
}

TEST_F(ClusterRoomsTest, AWatchingNodeHearsTheRoomsPresenceEvenTheLastLeave) {
  connect(*a, "pa", "ta");
  join(*a, "pa", "room");
  std::optional<std::vector<ClusterMember>> watched;
  b->watch("room", true, [&](bool ok, std::vector<ClusterMember> peers) {
    EXPECT_TRUE(ok);
    watched = std::move(peers);
  });
  ASSERT_TRUE(run_until(context, [&] { return watched.has_value(); }));
  ASSERT_EQ(watched->size(), 1u);
  EXPECT_EQ((*watched)[0].id, "pa");

  connect(*a, "pc", "tc");
  join(*a, "pc", "room");
  await<ClusterLeave>([&](auto done) { a->leave("pc", "leave", done); });
  await<ClusterLeave>([&](auto done) { a->leave("pa", "leave", done); });
  ASSERT_TRUE(await_events(b_events, 3));
  EXPECT_EQ(b_events[0].kind, NodeEvent::Kind::joined);
  EXPECT_EQ(b_events[0].id, "pc");
  EXPECT_THAT(b_events[0].to, IsEmpty());  // for the node's watchers, no peer of it
  EXPECT_EQ(b_events[1].kind, NodeEvent::Kind::left);
  EXPECT_EQ(b_events[2].kind, NodeEvent::Kind::left);
  EXPECT_EQ(b_events[2].id, "pa");

  std::optional<bool> stopped;
  b->watch("room", false, [&](bool ok, std::vector<ClusterMember>) { stopped = ok; });
  ASSERT_TRUE(run_until(context, [&] { return stopped.has_value(); }));
  EXPECT_EQ(server.command({"EXISTS", "parley:watch:room"}).integer, 0);
  EXPECT_EQ(server.command({"EXISTS", "parley:nodewatch:nodeB"}).integer, 0);
}

TEST_F(ClusterRoomsTest, ARedisThatIsGoneIsAFailedOutcome) {
  server.kill();
  ASSERT_TRUE(run_until(context, [&] { return !a_plane->ready(); }));
  EXPECT_EQ(join(*a, "pa", "room").status, ClusterJoin::Status::failed);
  EXPECT_TRUE(await<ClusterLeave>([&](auto done) { a->leave("pa", "leave", done); }).failed);
  EXPECT_EQ(await<ClusterClaim>([&](auto done) { a->claim("t", "t2", "", done); }).status,
            ClusterClaim::Status::error);
}

}  // namespace
}  // namespace parley
