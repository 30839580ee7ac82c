// The Redis RoomDirectory (cluster/redis_room_directory.hpp) on two nodes that
// share one real redis-server, each a backplane plus a directory, with peers
// as sessions see them (a PeerLink inbox drained on the test's loop): rooms
// span the nodes (join order, presence, relay both ways), capacity is atomic
// across them, and a peer lost on one node resumes on the other with the
// messages sent to it meanwhile, in order, while its room-mate hears nothing.
#include "cluster/redis_room_directory.hpp"

#include <memory>
#include <mutex>
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

class TestPeer final : public PeerLink::Handler {
 public:
  TestPeer(boost::asio::io_context& io, bool resumable = true)
      : link_(std::make_shared<PeerLink>(*this, resumable)) {
    link_->open(io.get_executor(), link_);
  }
  const std::shared_ptr<PeerLink>& link() const { return link_; }

  void on_events(std::vector<Event>& batch) override {
    for (auto& event : batch) events.push_back(std::move(event));
  }
  std::vector<SharedMessage> take_unsent() override { return {}; }
  void superseded() override { was_superseded = true; }

  template <class E>
  std::vector<E> of_kind() const {
    std::vector<E> out;
    for (const auto& e : events)
      if (const auto* x = std::get_if<E>(&e)) out.push_back(*x);
    return out;
  }
  std::vector<std::string> relayed() const {
    std::vector<std::string> out;
    for (const auto& r : of_kind<RelayEvent>()) out.emplace_back(r.message->text);
    return out;
  }

  std::vector<Event> events;
  bool was_superseded = false;

 private:
  std::shared_ptr<PeerLink> link_;
};

RelayDraft draft(const std::string& text) {
  return RelayDraft{"message", text, false, RelayShape::data};
}

class RedisDirectoryTest : public ::testing::Test {
 protected:
  struct Node {
    std::shared_ptr<ClusterBackplane> backplane;
    std::shared_ptr<RedisRoomDirectory> directory;
  };
  void SetUp() override {
    a = make("nodeA");
    b = make("nodeB");
    ASSERT_TRUE(run_until(io, [&] { return a.backplane->ready() && b.backplane->ready(); }));
  }
  void TearDown() override {
    for (auto* node : {&a, &b}) {
      node->directory->clear();
      node->backplane->stop();
    }
    io.restart();
    io.run();
  }
  Node make(const std::string& name) {
    BackplaneOptions options;
    std::string error;
    options.redis.url = parse_redis_url(server.url(), error).value();
    options.node_id = name;
    options.resume_grace = 30;
    auto backplane = ClusterBackplane::create(io.get_executor(), options);
    DirectoryLimits limits;
    limits.max_peers_per_room = 3;
    limits.resume_grace = 30;
    auto directory = RedisRoomDirectory::create(backplane, limits);
    backplane->start();
    return {backplane, directory};
  }

  struct Peer {
    std::unique_ptr<TestPeer> peer;
    std::string id, token;
  };
  Peer connect(Node& node) {
    auto peer = std::make_unique<TestPeer>(io);
    auto connected = node.directory->connect(peer->link());
    return {std::move(peer), connected.id, connected.resume_token};
  }
  RoomDirectory::JoinResult join(Node& node, const Peer& peer, const std::string& room,
                                 nlohmann::json meta = nlohmann::json::object()) {
    std::optional<RoomDirectory::JoinResult> result;
    JoinOptions options;
    options.meta = std::move(meta);
    node.directory->join(peer.id, room, options, [&](auto r) { result = std::move(r); });
    EXPECT_TRUE(run_until(io, [&] { return result.has_value(); }));
    return result.value_or(RoomDirectory::JoinResult{RoomDirectory::JoinStatus::no_such_peer, {}});
  }

  RedisServer server;
  boost::asio::io_context io;
  Node a, b;
};

TEST_F(RedisDirectoryTest, ARoomSpansTwoNodes) {
  auto pa = connect(a);
  auto pb = connect(b);
  auto pc = connect(a);
  EXPECT_EQ(join(a, pa, "room").status, RoomDirectory::JoinStatus::joined);
  const auto second = join(b, pb, "room", {{"name", "bob"}});
  ASSERT_EQ(second.status, RoomDirectory::JoinStatus::joined);
  EXPECT_THAT(second.peers, ElementsAre(pa.id));
  const auto third = join(a, pc, "room");
  EXPECT_THAT(third.peers, ElementsAre(pa.id, pb.id));  // join order, across nodes
  EXPECT_EQ(third.meta[pb.id]["name"], "bob");
  // pa hears of pb (through Redis) and of pc (in process).
  ASSERT_TRUE(run_until(io, [&] { return pa.peer->of_kind<PeerJoinedEvent>().size() == 2; }));
  EXPECT_EQ(pa.peer->of_kind<PeerJoinedEvent>()[0].id, pb.id);
  EXPECT_EQ(pa.peer->of_kind<PeerJoinedEvent>()[0].meta["name"], "bob");
  EXPECT_EQ(pa.peer->of_kind<PeerJoinedEvent>()[1].id, pc.id);

  // Relay both ways, to the room and with `to`, in order.
  for (int i = 0; i < 20; ++i)
    ASSERT_EQ(a.directory->relay(pa.id, nullptr, draft(std::to_string(i))),
              RoomDirectory::RelayStatus::ok);
  EXPECT_EQ(b.directory->relay(pb.id, &pa.id, draft("to-a")), RoomDirectory::RelayStatus::ok);
  const std::string nobody = "nobody";
  EXPECT_EQ(b.directory->relay(pb.id, &nobody, draft("x")),
            RoomDirectory::RelayStatus::unknown_peer);
  ASSERT_TRUE(run_until(io, [&] {
    return pb.peer->relayed().size() == 20 && pa.peer->relayed().size() == 1 &&
           pc.peer->relayed().size() == 20;
  }));
  for (int i = 0; i < 20; ++i) EXPECT_EQ(pb.peer->relayed()[i], std::to_string(i));
  EXPECT_THAT(pa.peer->relayed(), ElementsAre("to-a"));
  EXPECT_EQ(pb.peer->of_kind<RelayEvent>()[0].message->sender, pa.id);

  // A leave on B reaches both peers on A; the admin view of either node agrees.
  std::optional<std::optional<std::string>> left;
  b.directory->leave(pb.id, [&](auto room) { left = room; });
  ASSERT_TRUE(run_until(io, [&] {
    return left.has_value() && pa.peer->of_kind<PeerLeftEvent>().size() == 1 &&
           pc.peer->of_kind<PeerLeftEvent>().size() == 1;
  }));
  EXPECT_EQ(**left, "room");
  EXPECT_EQ(pa.peer->of_kind<PeerLeftEvent>()[0].reason, LeaveReason::leave);
  std::optional<std::optional<RoomInfo>> info;
  b.directory->room("room", [&](auto room) { info = std::move(room); });
  ASSERT_TRUE(run_until(io, [&] { return info.has_value(); }));
  ASSERT_TRUE(info->has_value());
  EXPECT_THAT((*info)->peers, ElementsAre(pa.id, pc.id));
}

TEST_F(RedisDirectoryTest, TheLastSeatGoesToExactlyOneOfTwoNodes) {
  auto host1 = connect(a);
  auto host2 = connect(b);
  join(a, host1, "race");
  join(b, host2, "race");
  for (int round = 0; round < 20; ++round) {
    auto x = connect(a);
    auto y = connect(b);
    std::optional<RoomDirectory::JoinResult> rx, ry;
    a.directory->join(x.id, "race", {}, [&](auto r) { rx = std::move(r); });
    b.directory->join(y.id, "race", {}, [&](auto r) { ry = std::move(r); });
    ASSERT_TRUE(run_until(io, [&] { return rx && ry; }));
    using S = RoomDirectory::JoinStatus;
    ASSERT_TRUE((rx->status == S::joined && ry->status == S::full) ||
                (rx->status == S::full && ry->status == S::joined))
        << "round " << round;
    auto& winner = rx->status == S::joined ? x : y;
    auto& node = rx->status == S::joined ? a : b;
    node.directory->end(winner.id, winner.peer->link().get());
    a.directory->end(x.id, x.peer->link().get());
    b.directory->end(y.id, y.peer->link().get());
    // The seat is free again once Redis says so.
    ASSERT_TRUE(run_until(io, [&] {
      return server.command({"ZCARD", "parley:room:race"}).integer == 2;
    }));
  }
}

TEST_F(RedisDirectoryTest, ALostPeerResumesOnTheOtherNodeWithItsMessages) {
  auto pa = connect(a);
  auto pb = connect(b);
  join(a, pa, "room");
  join(b, pb, "room");
  ASSERT_TRUE(run_until(io, [&] { return pa.peer->of_kind<PeerJoinedEvent>().size() == 1; }));
  ASSERT_EQ(b.directory->relay(pb.id, nullptr, draft("before")), RoomDirectory::RelayStatus::ok);
  ASSERT_TRUE(run_until(io, [&] { return pa.peer->relayed().size() == 1; }));

  a.directory->lost(pa.id, pa.peer->link().get());
  for (const char* text : {"one", "two", "three"})
    ASSERT_EQ(b.directory->relay(pb.id, nullptr, draft(text)), RoomDirectory::RelayStatus::ok);

  // A new connection on node B resumes pa (its first message: resume).
  auto again = connect(b);
  std::optional<std::optional<RoomDirectory::Resumed>> resumed;
  b.directory->resume(pa.token, again.id, again.peer->link(),
                      [&](auto r) { resumed = std::move(r); });
  ASSERT_TRUE(run_until(io, [&] { return resumed.has_value(); }));
  ASSERT_TRUE(resumed->has_value());
  const auto& r = **resumed;
  EXPECT_EQ(r.id, pa.id);
  EXPECT_EQ(r.room, "room");
  EXPECT_THAT(r.peers, ElementsAre(pb.id));
  EXPECT_NE(r.resume_token, pa.token);
  std::vector<std::string> kept;
  for (const auto& message : r.kept) kept.emplace_back(message->text);
  EXPECT_THAT(kept, ElementsAre("one", "two", "three"));

  // Live traffic reaches it on its new node, in process now.
  ASSERT_EQ(b.directory->relay(pb.id, nullptr, draft("live")), RoomDirectory::RelayStatus::ok);
  ASSERT_TRUE(run_until(io, [&] { return again.peer->relayed().size() == 1; }));
  EXPECT_THAT(again.peer->relayed(), ElementsAre("live"));
  // Silent: its room-mate heard no leave; the old token is spent.
  EXPECT_THAT(pb.peer->of_kind<PeerLeftEvent>(), IsEmpty());
  EXPECT_EQ(b.directory->room_of(pa.id), "room");
  auto third = connect(a);
  std::optional<std::optional<RoomDirectory::Resumed>> twice;
  a.directory->resume(pa.token, third.id, third.peer->link(), [&](auto r) { twice = r; });
  ASSERT_TRUE(run_until(io, [&] { return twice.has_value(); }));
  EXPECT_FALSE(twice->has_value());
}

}  // namespace
}  // namespace parley
