// The room life cycle and relay rules of protocol-v1, over real sockets.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "harness.hpp"
#include "rooms/room_directory.hpp"

namespace parley::test {
namespace {

TEST(CoreRelay, WelcomeComesFirstWithIdTokenAndVersion) {
  TestServer server;
  WsClient client(server.port());
  json welcome = client.read_welcome();
  EXPECT_EQ(welcome["version"], 1);
  EXPECT_LE(client.id().size(), 32u);
  EXPECT_GE(client.id().size(), 16u);  // >= 96 bits of base64url
  EXPECT_GE(client.resume_token().size(), 22u);
  WsClient other(server.port());
  other.read_welcome();
  EXPECT_NE(other.id(), client.id());
}

TEST(CoreRelay, WholeLifeCycleJoinRelayFullLeaveDestroy) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  auto c = connect_peer(server.port());

  json ja = a->join("life");
  EXPECT_EQ(ja["room"], "life");
  EXPECT_EQ(ja["id"], a->id());
  EXPECT_EQ(ja["peers"], json::array());
  EXPECT_TRUE(ja["iceServers"].is_array());
  EXPECT_EQ(room_counts(server).rooms, 1u);

  json jb = b->join("life");
  EXPECT_EQ(jb["peers"], json::array({a->id()}));
  json pj = a->recv();
  EXPECT_EQ(pj, json({{"type", "peer-joined"},
                     {"room", "life"},
                     {"id", b->id()},
                     {"meta", json::object()}}));

  c->send({{"type", "join"}, {"room", "life"}, {"rid", 3}});
  EXPECT_EQ(c->recv(), json({{"type", "full"}, {"room", "life"}, {"rid", 3}}));

  a->send({{"type", "offer"}, {"sdp", "v=0 offer"}});
  b->send({{"type", "answer"}, {"sdp", "v=0 answer"}});
  a->send({{"type", "candidate"}, {"candidate", {{"candidate", "c1"}, {"sdpMid", "0"}}}});
  json offer = b->recv();
  EXPECT_EQ(offer, json({{"type", "offer"}, {"sdp", "v=0 offer"}, {"from", a->id()}}));
  EXPECT_EQ(a->recv()["type"], "answer");
  json candidate = b->recv();
  EXPECT_EQ(candidate["candidate"]["candidate"], "c1");
  EXPECT_EQ(candidate["from"], a->id());

  a->send({{"type", "leave"}, {"rid", "bye"}});
  EXPECT_EQ(a->recv(), json({{"type", "left"}, {"room", "life"}, {"reason", "leave"}, {"rid", "bye"}}));
  EXPECT_EQ(b->recv(),
            json({{"type", "peer-left"}, {"room", "life"}, {"id", a->id()}, {"reason", "leave"}}));

  // The seat is free again.
  EXPECT_EQ(c->join("life")["peers"], json::array({b->id()}));
  EXPECT_EQ(b->recv()["type"], "peer-joined");
  b->close();
  EXPECT_EQ(c->recv(),
            json({{"type", "peer-left"}, {"room", "life"}, {"id", b->id()}, {"reason", "disconnect"}}));
  c->send({{"type", "leave"}});
  c->recv_type("left");
  EXPECT_TRUE(TestServer::eventually([&] { return room_counts(server).rooms == 0; }));
}

TEST(CoreRelay, RelayKeepsEveryFieldAndReplacesAForgedFrom) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("fields");
  b->join("fields");
  a->recv_type("peer-joined");
  const std::string text =
      R"({"type":"message","data":{"nested":[1,2,{"x":null}]},"rid":"r-1","extra":"kept","from":"forged","n":1.25})";
  a->send_text(text);
  json got = b->recv();
  json expected = json::parse(text);
  expected["from"] = a->id();
  EXPECT_EQ(got, expected);
  // The sender hears nothing back.
  a->send({{"type", "ping"}, {"rid", 1}});
  EXPECT_EQ(a->recv(), json({{"type", "pong"}, {"rid", 1}}));
}

TEST(CoreRelay, ToTargetsOnePeerAmongSeveral) {
  Config config = test_config();
  config.limits.max_peers_per_room = 4;
  TestServer server(config);
  std::vector<std::unique_ptr<WsClient>> peers;
  for (int i = 0; i < 4; ++i) {
    peers.push_back(connect_peer(server.port()));
    peers.back()->join("mesh");
  }
  for (int i = 0; i < 4; ++i)
    for (int j = i + 1; j < 4; ++j) peers[i]->recv_type("peer-joined");

  peers[0]->send({{"type", "offer"}, {"sdp", "for 2"}, {"to", peers[2]->id()}});
  peers[0]->send({{"type", "message"}, {"data", "everyone"}});
  json direct = peers[2]->recv();
  EXPECT_EQ(direct["sdp"], "for 2");
  EXPECT_EQ(direct["to"], peers[2]->id());
  EXPECT_EQ(direct["from"], peers[0]->id());
  EXPECT_EQ(peers[2]->recv()["data"], "everyone");
  // Peers 1 and 3 get only the broadcast: the targeted offer never reached them.
  EXPECT_EQ(peers[1]->recv()["data"], "everyone");
  EXPECT_EQ(peers[3]->recv()["data"], "everyone");
}

TEST(CoreRelay, OrderHoldsOverAThousandMessages) {
  Config config = test_config();
  config.limits.messages_per_second = 100000;  // this test is about order, not rate
  config.limits.message_burst = 100000;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("order");
  b->join("order");
  a->recv_type("peer-joined");
  constexpr int kMessages = 1000;
  for (int i = 0; i < kMessages; ++i)
    a->send({{"type", "candidate"}, {"candidate", std::to_string(i)}});
  for (int i = 0; i < kMessages; ++i) {
    json m = b->recv(30s);
    ASSERT_EQ(m["candidate"], std::to_string(i));
    ASSERT_EQ(m["from"], a->id());
  }
}

TEST(CoreRelay, RoomsAreIsolated) {
  TestServer server;
  auto a1 = connect_peer(server.port());
  auto a2 = connect_peer(server.port());
  auto b1 = connect_peer(server.port());
  auto b2 = connect_peer(server.port());
  a1->join("room-a");
  a2->join("room-a");
  b1->join("room-b");
  b2->join("room-b");
  a1->recv_type("peer-joined");
  b1->recv_type("peer-joined");
  a1->send({{"type", "message"}, {"data", "a only"}});
  b1->send({{"type", "message"}, {"data", "b only"}});
  EXPECT_EQ(a2->recv()["data"], "a only");
  EXPECT_EQ(b2->recv()["data"], "b only");
  // Targeting a peer of another room is refused, not delivered.
  a1->send({{"type", "message"}, {"data", "sneak"}, {"to", b2->id()}});
  EXPECT_EQ(a1->recv()["code"], "unknown-peer");
  b1->send({{"type", "message"}, {"data", "after"}});
  EXPECT_EQ(b2->recv()["data"], "after");  // the sneak never arrived before this
}

TEST(CoreRelay, TwoHundredClientsJoinAndLeaveConcurrently) {
  Config config = test_config();
  config.limits.max_peers_per_room = 2;
  TestServer server(config);
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::atomic<int> joined{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < kPerThread; ++i) {
          auto c = connect_peer(server.port());
          c->send({{"type", "join"}, {"room", "crowd-" + std::to_string(t) + "-" + std::to_string(i)}});
          if (c->recv(10s)["type"] == "joined") ++joined;
          if (i % 2 == 0) {
            c->send({{"type", "leave"}});
            c->recv_type("left");
          }
          // odd ones just disconnect with a close frame
        }
      } catch (const std::exception&) {
        ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(joined.load(), kThreads * kPerThread);
  EXPECT_TRUE(TestServer::eventually([&] {
    return room_counts(server).rooms == 0 &&
           room_counts(server).seated == 0 &&
           room_counts(server).connected == 0;
  }));
}

}  // namespace
}  // namespace parley::test
