// One set of rooms served by several parleyd on one redis-server
// (cluster-v1.md): peers on different nodes see each other in join order and
// relay both ways, the last seat goes to exactly one of two nodes, a node
// stopped with SIGTERM hands its sessions over (1012) and they resume on
// another node with their messages, and the peers of a node killed with
// SIGKILL time out on the others, leaving nothing in Redis. Real daemons, real
// sockets on 127.0.0.1; every wait is for an event, bounded.
#include <signal.h>

#include <gtest/gtest.h>

#include "cluster_nodes.hpp"

namespace parley::test {
namespace {

json resume(WsClient& client, const std::string& token) {
  client.send({{"type", "resume"}, {"token", token}});
  return client.recv(10s);
}

TEST(ClusterRooms, PeersOnThreeNodesShareARoomAndRelayBothWays) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 3, {{"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "3"}});
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  auto c = connect_peer(nodes[2]->port());
  EXPECT_EQ(a->join("span")["peers"], json::array());
  EXPECT_EQ(b->join("span")["peers"], json::array({a->id()}));
  EXPECT_EQ(a->recv_type("peer-joined")["id"], b->id());
  EXPECT_EQ(c->join("span")["peers"], json::array({a->id(), b->id()}));  // join order
  EXPECT_EQ(a->recv_type("peer-joined")["id"], c->id());
  EXPECT_EQ(b->recv_type("peer-joined")["id"], c->id());

  // To the room, in order, from node 0 to nodes 1 and 2.
  for (int i = 0; i < 50; ++i) a->send(message_with_seq(i));
  for (auto* receiver : {b.get(), c.get()}) {
    for (int i = 0; i < 50; ++i) {
      const json got = receiver->recv_type("message");
      EXPECT_EQ(got["data"]["seq"], i);
      EXPECT_EQ(got["from"], a->id());
    }
  }
  // With `to`, from node 2 to node 1 only.
  c->send({{"type", "message"}, {"to", b->id()}, {"data", "for b"}});
  EXPECT_EQ(b->recv_type("message")["data"], "for b");
  a->send({{"type", "message"}, {"data", "after"}});
  EXPECT_EQ(c->recv_type("message")["data"], "after");  // c's own message did not come back
  EXPECT_EQ(b->recv_type("message")["data"], "after");  // nor did b get two

  // A leave on node 1 reaches nodes 0 and 2; the admin view of any node agrees.
  b->send({{"type", "leave"}});
  EXPECT_EQ(b->recv_type("left")["reason"], "leave");
  for (auto* other : {a.get(), c.get()}) {
    const json left = other->recv_type("peer-left");
    EXPECT_EQ(left["id"], b->id());
    EXPECT_EQ(left["reason"], "leave");
  }
}

TEST(ClusterRooms, SocketioAndNativePeersOnTwoNodesSeeEachOtherAndRelay) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2);
  auto native = connect_peer(nodes[0]->port());
  native->join("mixed");
  WsClient sio(nodes[1]->port(), "/socket.io/?EIO=4&transport=websocket");
  ASSERT_EQ(sio.recv_text().front(), '0');  // the Engine.IO open packet
  sio.send_text("40");
  const std::string connected = sio.recv_text();
  ASSERT_EQ(connected.rfind("40{", 0), 0u) << connected;
  const std::string id = json::parse(connected.substr(2)).at("sid");
  sio.send_text(R"(42["join","mixed"])");
  EXPECT_EQ(sio.recv_text(), R"(42["joined","mixed",")" + id + R"("])");
  EXPECT_EQ(native->recv_type("peer-joined")["id"], id);

  native->send({{"type", "offer"}, {"sdp", "from-native"}});
  const std::string offer = sio.recv_text();
  ASSERT_EQ(offer.rfind("42", 0), 0u) << offer;
  const json event = json::parse(offer.substr(2));
  EXPECT_EQ(event[0], "message");
  EXPECT_EQ(event[1], "mixed");
  EXPECT_EQ(event[2]["sdp"], "from-native");
  sio.send_text(R"(42["message","mixed",{"type":"answer","sdp":"from-sio"}])");
  const json answer = native->recv_type("answer");
  EXPECT_EQ(answer["sdp"], "from-sio");
  EXPECT_EQ(answer["from"], id);

  sio.close();  // no resume in that dialect: gone at once
  const json left = native->recv_type("peer-left");
  EXPECT_EQ(left["id"], id);
  EXPECT_EQ(left["reason"], "disconnect");
}

TEST(ClusterRooms, TheLastSeatGoesToExactlyOneOfTwoNodes) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2);
  auto host = connect_peer(nodes[0]->port());
  host->join("race");
  for (int round = 0; round < 200; ++round) {  // issue 18: 200 rounds
    auto x = connect_peer(nodes[0]->port());
    auto y = connect_peer(nodes[1]->port());
    x->send({{"type", "join"}, {"room", "race"}});
    y->send({{"type", "join"}, {"room", "race"}});
    const std::string rx = x->recv()["type"], ry = y->recv()["type"];
    ASSERT_TRUE((rx == "joined" && ry == "full") || (rx == "full" && ry == "joined"))
        << "round " << round << ": " << rx << " / " << ry;
    (rx == "joined" ? x : y)->close();
    ASSERT_EQ(host->recv_type("peer-joined")["type"], "peer-joined");
    ASSERT_EQ(host->recv_type("peer-left")["reason"], "disconnect");
  }
}

TEST(ClusterRooms, SigtermHandsSessionsOverAndTheyResumeOnAnotherNode) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2, {{"PARLEY_RESUME_GRACE", "30"}});
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  const std::string a_id = a->id(), token = a->resume_token();
  pair_up(*a, *b, "move");

  nodes[0]->process().signal(SIGTERM);
  EXPECT_EQ(a->expect_close(10s), 1012u);
  EXPECT_EQ(nodes[0]->process().wait_exit(5s), 0) << nodes[0]->process().log();
  // Sent while a is between nodes: kept for it.
  for (int i = 0; i < 3; ++i) b->send(message_with_seq(i));
  settle(*b);

  auto again = connect_peer(nodes[1]->port());
  const json resumed = resume(*again, token);
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump() << nodes[1]->process().log();
  EXPECT_EQ(resumed["id"], a_id);
  EXPECT_EQ(resumed["room"], "move");
  EXPECT_EQ(resumed["peers"], json::array({b->id()}));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(again->recv_type("message")["data"]["seq"], i);
  b->send(message_with_seq(3));
  EXPECT_EQ(again->recv_type("message")["data"]["seq"], 3);
  again->send({{"type", "message"}, {"data", "back"}});
  // b heard nothing of the move: the next thing it gets is a's message.
  const json next = b->recv();
  EXPECT_EQ(next["type"], "message") << next.dump();
  EXPECT_EQ(next["data"], "back");
}

TEST(ClusterRooms, PeersOfAKilledNodeTimeOutAndNothingOfThemStays) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2, {{"PARLEY_RESUME_GRACE", "1"}});
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  const std::string a_id = a->id();
  pair_up(*a, *b, "doomed");
  nodes[0]->process().signal(SIGKILL);
  EXPECT_EQ(nodes[0]->process().wait_exit(), 128 + SIGKILL);
  // grace + heartbeat TTL + sweep, well within the bound.
  const json left = b->recv_type("peer-left", 30s);
  EXPECT_EQ(left["id"], a_id);
  EXPECT_EQ(left["reason"], "timeout");
  EXPECT_TRUE(TestServer::eventually([&] { return !redis_mentions(redis, a_id); }, 15s))
      << testing::PrintToString(redis.dump());
  // The survivor's room goes on.
  auto c = connect_peer(nodes[1]->port());
  EXPECT_EQ(c->join("doomed")["peers"], json::array({b->id()}));
}

TEST(ClusterRooms, APeerOfAKilledNodeResumesOnAnotherWithinTheGrace) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2, {{"PARLEY_RESUME_GRACE", "30"}});
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  const std::string a_id = a->id(), token = a->resume_token();
  pair_up(*a, *b, "crash");
  nodes[0]->process().signal(SIGKILL);
  EXPECT_EQ(nodes[0]->process().wait_exit(), 128 + SIGKILL);

  auto again = connect_peer(nodes[1]->port());
  const json resumed = resume(*again, token);
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
  EXPECT_EQ(resumed["id"], a_id);
  EXPECT_EQ(resumed["peers"], json::array({b->id()}));
  b->send(message_with_seq(7));
  EXPECT_EQ(again->recv_type("message")["data"]["seq"], 7);
  again->send({{"type", "message"}, {"data", "still here"}});
  const json next = b->recv();  // no peer-left before it
  EXPECT_EQ(next["type"], "message") << next.dump();
  EXPECT_EQ(next["from"], a_id);
}

TEST(ClusterRooms, ThroughARedisOutageNodesServeTheirOwnAndRebuildTheRoomsAfter) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2, {{"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "3"}});
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[0]->port());
  pair_up(*a, *b, "steady");

  redis.stop();
  for (auto& node : nodes) ASSERT_TRUE(node->await_readyz(503));
  // Peers on one node still relay to each other; nobody hears a leave.
  a->send(message_with_seq(1));
  EXPECT_EQ(b->recv_type("message")["data"]["seq"], 1);
  b->send(message_with_seq(2));
  const json next = a->recv();
  EXPECT_EQ(next["type"], "message") << next.dump();

  redis.start();  // empty: nothing was saved
  for (auto& node : nodes) ASSERT_TRUE(node->await_readyz(200));
  // Node 0 registers its room again; a newcomer on node 1 sees it, join order kept.
  ASSERT_TRUE(TestServer::eventually(
      [&] {
        return redis.command({"ZCARD", "parley:room:steady"}).integer == 2;
      },
      15s));
  auto c = connect_peer(nodes[1]->port());
  EXPECT_EQ(c->join("steady")["peers"], json::array({a->id(), b->id()}));
  EXPECT_EQ(a->recv_type("peer-joined")["id"], c->id());
  c->send(message_with_seq(3));
  EXPECT_EQ(b->recv_type("message")["data"]["seq"], 3);
}

}  // namespace
}  // namespace parley::test
