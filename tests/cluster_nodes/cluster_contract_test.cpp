// What cluster-v1.md and integration-v1.md promise of a cluster, checked with
// parleyd processes on one redis-server: per-sender order over 1,000 messages
// per sender across three nodes; peer metadata, update-meta, watchers and their
// presence events, and a resume on another node keeping the metadata; token
// grants across nodes (a room's `max_peers` raced for by two nodes, pinned
// metadata, the `relay` grant); a join, update-meta or watch while Redis is down
// answered `unavailable` in both dialects; a relay that cannot cross nodes counted. Real sockets on
// 127.0.0.1; every wait is for an event, bounded.
#include <signal.h>

#include <chrono>
#include <map>

#include <gtest/gtest.h>

#include "cluster_nodes.hpp"
#include "policy/jwt.hpp"

namespace parley::test {
namespace {

const std::string kSecret = "cluster-contract-test-secret-0123456789";
const std::string kAdminToken = "cluster-contract-admin";

std::string token_with(const std::string& room, json claims = json::object()) {
  claims["room"] = room;
  claims["exp"] = std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count() +
                  600;
  return sign_join_token_for_tests(kSecret, claims);
}

json ask(WsClient& client, json message, const json& rid) {
  message["rid"] = rid;
  client.send(message);
  return client.recv(10s);
}

// A socket.io client on `port`, connected to the default namespace; returns its id.
std::string socketio_connect(WsClient& sio) {
  EXPECT_EQ(sio.recv_text().front(), '0');  // the Engine.IO open packet
  sio.send_text("40");
  const std::string connected = sio.recv_text();
  EXPECT_EQ(connected.rfind("40{", 0), 0u) << connected;
  return json::parse(connected.substr(2)).value("sid", "");
}

TEST(ClusterContract, AThousandMessagesPerSenderKeepTheirOrderAcrossThreeNodes) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 3,
                           {{"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "3"},
                            {"PARLEY_LIMITS_MESSAGES_PER_SECOND", "1000000"},
                            {"PARLEY_LIMITS_MESSAGE_BURST", "1000000"},
                            {"PARLEY_LIMITS_MAX_SEND_QUEUE_BYTES", "67108864"}});
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  auto c = connect_peer(nodes[2]->port());
  a->join("order");
  b->join("order");
  c->join("order");
  ASSERT_EQ(a->recv_type("peer-joined")["id"], b->id());
  ASSERT_EQ(a->recv_type("peer-joined")["id"], c->id());
  ASSERT_EQ(b->recv_type("peer-joined")["id"], c->id());

  // Two senders on two nodes, interleaved; the third node hears both.
  constexpr int kCount = 1000;
  for (int i = 0; i < kCount; ++i) {
    a->send(message_with_seq(i));
    b->send(message_with_seq(i));
  }
  std::map<std::string, int> next;  // per sender: the seq expected next
  int out_of_order = 0;
  for (int n = 0; n < 2 * kCount; ++n) {
    const json got = c->recv_type("message", 30s);
    int& expected = next[got.value("from", "")];
    if (got["data"]["seq"] != expected) ++out_of_order;
    expected = got["data"]["seq"].get<int>() + 1;
  }
  EXPECT_EQ(out_of_order, 0);
  EXPECT_EQ(next[a->id()], kCount);
  EXPECT_EQ(next[b->id()], kCount);
  // And each sender hears the other's, in order.
  for (auto [receiver, sender] : {std::pair{a.get(), b.get()}, std::pair{b.get(), a.get()}}) {
    int wrong = 0;
    for (int i = 0; i < kCount; ++i) {
      const json got = receiver->recv_type("message", 30s);
      if (got["data"]["seq"] != i || got["from"] != sender->id()) ++wrong;
    }
    EXPECT_EQ(wrong, 0);
  }
}

TEST(ClusterContract, MetadataWatchersAndPresenceSpanTheNodes) {
  RedisServer redis;
  auto nodes =
      start_nodes(redis, 3, {{"PARLEY_RESUME_GRACE", "30"}, {"PARLEY_ADMIN_TOKEN", kAdminToken}});
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  auto w = connect_peer(nodes[2]->port());

  // A lobby on node 2 watches a room that does not exist yet.
  const json watching = ask(*w, {{"type", "watch"}, {"room", "lobby"}}, 1);
  ASSERT_EQ(watching["type"], "watching") << watching;
  EXPECT_EQ(watching["peers"], json::array());

  a->send({{"type", "join"}, {"room", "lobby"}, {"meta", {{"name", "Ada"}}}});
  ASSERT_EQ(a->recv_type("joined")["peers"], json::array());
  json seen = w->recv_type("peer-joined");
  EXPECT_EQ(seen["id"], a->id());
  EXPECT_EQ(seen["meta"], json({{"name", "Ada"}}));

  b->send({{"type", "join"}, {"room", "lobby"}, {"meta", {{"name", "Bea"}}}});
  const json joined = b->recv_type("joined");
  EXPECT_EQ(joined["peers"], json::array({a->id()}));
  EXPECT_EQ(joined["meta"], json({{a->id(), {{"name", "Ada"}}}}));
  EXPECT_EQ(a->recv_type("peer-joined")["meta"], json({{"name", "Bea"}}));
  seen = w->recv_type("peer-joined");
  EXPECT_EQ(seen["id"], b->id());

  // A second watcher, on node 0, sees both in join order with their metadata.
  auto w2 = connect_peer(nodes[0]->port());
  const json second = ask(*w2, {{"type", "watch"}, {"room", "lobby"}}, 2);
  EXPECT_EQ(second["peers"], json::array({a->id(), b->id()}));
  EXPECT_EQ(second["meta"][b->id()], json({{"name", "Bea"}}));

  // update-meta on node 1: the sender's answer, the room-mate's and both watchers' events.
  const json updated = ask(*b, {{"type", "update-meta"}, {"meta", {{"name", "Bee"}}}}, 3);
  EXPECT_EQ(updated["type"], "meta-updated") << updated;
  EXPECT_EQ(updated["rid"], 3);
  for (auto* client : {a.get(), w.get(), w2.get()}) {
    const json event = client->recv_type("peer-updated");
    EXPECT_EQ(event["id"], b->id());
    EXPECT_EQ(event["meta"], json({{"name", "Bee"}}));
  }

  // A relay reaches the room-mate, never a watcher: the watcher's next frame is its pong.
  a->send({{"type", "message"}, {"data", "for the room"}});
  EXPECT_EQ(b->recv_type("message")["data"], "for the room");
  w->send({{"type", "ping"}});
  EXPECT_EQ(w->recv()["type"], "pong");

  // b moves from node 1 to node 2 and keeps its metadata; nobody hears of it.
  const std::string b_id = b->id(), token = b->resume_token();
  b->drop();
  auto again = connect_peer(nodes[2]->port());
  again->send({{"type", "resume"}, {"token", token}});
  const json resumed = again->recv_type("resumed", 10s);
  EXPECT_EQ(resumed["id"], b_id);
  EXPECT_EQ(resumed["meta"], json({{a->id(), {{"name", "Ada"}}}}));
  const auto admin = http_get(nodes[0]->admin_port(), "/admin/rooms/lobby",
                              {{"Authorization", "Bearer " + kAdminToken}});
  ASSERT_EQ(admin.status, 200u) << admin.body;
  EXPECT_EQ(json::parse(admin.body)["meta"][b_id], json({{"name", "Bee"}}));

  // Unwatched on node 2: b's leave reaches the room-mate and the other watcher only.
  EXPECT_EQ(ask(*w, {{"type", "unwatch"}, {"room", "lobby"}}, 4)["type"], "unwatched");
  EXPECT_EQ(ask(*w, {{"type", "unwatch"}, {"room", "lobby"}}, 5)["code"], "not-watching");
  again->send({{"type", "leave"}});
  EXPECT_EQ(again->recv_type("left")["reason"], "leave");
  for (auto* client : {a.get(), w2.get()}) {
    const json left = client->recv_type("peer-left");
    EXPECT_EQ(left["id"], b_id);
    EXPECT_EQ(left["reason"], "leave");  // no disconnect or timeout from the move
  }
  w->send({{"type", "ping"}});
  EXPECT_EQ(w->recv()["type"], "pong");
}

TEST(ClusterContract, TokenGrantsHoldAcrossNodes) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 3, {{"PARLEY_AUTH_JWT_SECRET", kSecret}});

  // max_peers: the room the host creates on node 0 holds two; joiners on nodes
  // 1 and 2 race for its last seat, round after round: exactly one wins.
  auto host = connect_peer(nodes[0]->port());
  ASSERT_EQ(
      ask(*host,
          {{"type", "join"}, {"room", "duo"}, {"token", token_with("duo", {{"max_peers", 2}})}},
          0)["type"],
      "joined");
  for (int round = 0; round < 20; ++round) {
    auto x = connect_peer(nodes[1]->port());
    auto y = connect_peer(nodes[2]->port());
    x->send({{"type", "join"}, {"room", "duo"}, {"token", token_with("duo", {{"max_peers", 50}})}});
    y->send({{"type", "join"}, {"room", "duo"}, {"token", token_with("duo")}});
    const std::string rx = x->recv(10s)["type"], ry = y->recv(10s)["type"];
    ASSERT_TRUE((rx == "joined" && ry == "full") || (rx == "full" && ry == "joined"))
        << "round " << round << ": " << rx << " / " << ry;
    (rx == "joined" ? x : y)->close();
    ASSERT_EQ(host->recv_type("peer-joined")["type"], "peer-joined");
    ASSERT_EQ(host->recv_type("peer-left")["reason"], "disconnect");
  }

  // relay and pinned meta: a viewer on node 1 may answer and send candidates only.
  auto caster = connect_peer(nodes[0]->port());
  ASSERT_EQ(
      ask(*caster, {{"type", "join"}, {"room", "show"}, {"token", token_with("show")}}, 1)["type"],
      "joined");
  auto viewer = connect_peer(nodes[1]->port());
  const json claims = {{"relay", {"answer", "candidate"}}, {"meta", {{"role", "viewer"}}}};
  viewer->send({{"type", "join"},
                {"room", "show"},
                {"meta", {{"role", "admin"}}},
                {"token", token_with("show", claims)}});
  ASSERT_EQ(viewer->recv_type("joined")["peers"], json::array({caster->id()}));
  EXPECT_EQ(caster->recv_type("peer-joined")["meta"], json({{"role", "viewer"}}));  // the claim
  for (const char* type : {"offer", "message"}) {
    json refused = ask(*viewer, {{"type", type}, {"sdp", "x"}, {"data", "x"}}, 2);
    EXPECT_EQ(refused["code"], "forbidden") << type << ": " << refused;
  }
  EXPECT_EQ(ask(*viewer, {{"type", "update-meta"}, {"meta", {{"role", "admin"}}}}, 3)["code"],
            "forbidden");
  viewer->send({{"type", "answer"}, {"sdp", "viewer-answer"}});
  const json next = caster->recv(10s);  // nothing refused reached it first
  EXPECT_EQ(next["type"], "answer") << next;
  EXPECT_EQ(next["sdp"], "viewer-answer");
  EXPECT_EQ(next["from"], viewer->id());
}

TEST(ClusterContract, AJoinWhileRedisIsDownIsUnavailableInBothDialects) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 1, {{"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "3"}});
  auto early = connect_peer(nodes[0]->port());
  early->join("kept");

  redis.stop();
  ASSERT_TRUE(nodes[0]->await_readyz(503));
  auto native = connect_peer(nodes[0]->port());
  const json refused = ask(*native, {{"type", "join"}, {"room", "later"}}, 7);
  EXPECT_EQ(refused["type"], "error") << refused;
  EXPECT_EQ(refused["code"], "unavailable");
  EXPECT_EQ(refused["rid"], 7);

  WsClient sio(nodes[0]->port(), "/socket.io/?EIO=4&transport=websocket");
  socketio_connect(sio);
  sio.send_text(R"(42["join","later"])");
  const std::string packet = sio.recv_text();
  ASSERT_EQ(packet.rfind("42", 0), 0u) << packet;
  const json event = json::parse(packet.substr(2));
  EXPECT_EQ(event[0], "parley-error");
  EXPECT_EQ(event[1]["code"], "unavailable");

  // Nothing changed meanwhile; once Redis is back the same connections join.
  redis.start();
  ASSERT_TRUE(nodes[0]->await_readyz(200));
  ASSERT_TRUE(TestServer::eventually(
      [&] {
        return redis.command({"ZCARD", "parley:room:kept"}).integer == 1;
      },
      15s));
  EXPECT_EQ(ask(*native, {{"type", "join"}, {"room", "kept"}}, 8)["peers"],
            json::array({early->id()}));
  sio.send_text(R"(42["join","kept"])");
  const std::string joined = sio.recv_text(10s);
  EXPECT_EQ(joined.rfind(R"(42["joined","kept")", 0), 0u) << joined;
}

// update-meta and watch need Redis as a join does: an answer from the node's own
// partial view (`not-in-room` for a seated peer, an empty `watching`) would be false,
// so during an outage they are `unavailable` too, and a refused watch holds no slot.
TEST(ClusterContract, UpdateMetaAndWatchWhileRedisIsDownAreUnavailableInBothDialects) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 1, {{"PARLEY_LIMITS_MAX_WATCHES", "1"}});
  auto native = connect_peer(nodes[0]->port());
  native->join("kept");
  WsClient sio(nodes[0]->port(), "/socket.io/?EIO=4&transport=websocket");
  const std::string sio_id = socketio_connect(sio);
  sio.send_text(R"(42["join","kept"])");
  const std::string sio_joined = sio.recv_text(10s);
  ASSERT_EQ(sio_joined.rfind(R"(42["joined","kept")", 0), 0u) << sio_joined;
  ASSERT_EQ(native->recv(10s)["type"], "peer-joined");

  redis.stop();
  ASSERT_TRUE(nodes[0]->await_readyz(503));
  for (const json& request : {json{{"type", "update-meta"}, {"meta", {{"name", "Ada"}}}},
                              json{{"type", "watch"}, {"room", "kept"}}}) {
    const json refused = ask(*native, request, "outage");
    EXPECT_EQ(refused["type"], "error") << refused;
    EXPECT_EQ(refused["code"], "unavailable") << request;
    EXPECT_EQ(refused["rid"], "outage");
  }
  for (const char* packet : {R"(42["update-meta",{"name":"Bea"}])", R"(42["watch","kept"])"}) {
    sio.send_text(packet);
    const std::string answer = sio.recv_text(10s);
    ASSERT_EQ(answer.rfind("42", 0), 0u) << answer;
    const json event = json::parse(answer.substr(2));
    EXPECT_EQ(event[0], "parley-error") << packet;
    EXPECT_EQ(event[1]["code"], "unavailable") << packet;
  }

  // Redis back and the room rebuilt: both work, and the refused watch took none of
  // the native connection's one watch.
  redis.start();
  ASSERT_TRUE(nodes[0]->await_readyz(200));
  ASSERT_TRUE(TestServer::eventually(
      [&] {
        return redis.command({"ZCARD", "parley:room:kept"}).integer == 2;
      },
      15s));
  sio.send_text(R"(42["update-meta",{"name":"Bea"}])");
  const std::string updated = sio.recv_text(10s);
  EXPECT_EQ(updated.rfind(R"(42["meta-updated","kept",{"name":"Bea"}])", 0), 0u) << updated;
  const json told = native->recv(10s);
  EXPECT_EQ(told["type"], "peer-updated") << told;
  EXPECT_EQ(told["id"], sio_id);
  const json watching = ask(*native, {{"type", "watch"}, {"room", "kept"}}, "after");
  EXPECT_EQ(watching["type"], "watching") << watching;
  EXPECT_EQ(watching["peers"], json::array({native->id(), sio_id}));
}

TEST(ClusterContract, ARelayThatCannotCrossNodesIsCountedAndLogged) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2);
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  pair_up(*a, *b, "cut");
  EXPECT_EQ(metric_value(nodes[0]->admin_port(), "parley_cluster_relays_lost_total"), 0);

  redis.stop();
  ASSERT_TRUE(nodes[0]->await_readyz(503));
  a->send(message_with_seq(1));
  a->send(message_with_seq(2));
  EXPECT_TRUE(TestServer::eventually(
      [&] { return metric_value(nodes[0]->admin_port(), "parley_cluster_relays_lost_total") == 2; },
      10s));
  EXPECT_NE(nodes[0]->process().log().find("reached no other node (Redis unreachable)"),
            std::string::npos);
}

// The admin API and the gauges are cluster-wide and wait for Redis's answer;
// with one thread for the sessions they must not wait for themselves (the
// cluster's connections have a thread of their own).
TEST(ClusterContract, TheAdminApiAndTheGaugesAreClusterWideOnANodeWithOneThread) {
  RedisServer redis;
  auto nodes =
      start_nodes(redis, 2, {{"PARLEY_THREADS", "1"}, {"PARLEY_ADMIN_TOKEN", kAdminToken}});
  auto a = connect_peer(nodes[0]->port());
  a->join("solo");
  const auto rooms = http_get(nodes[1]->admin_port(), "/admin/rooms",
                              {{"Authorization", "Bearer " + kAdminToken}});
  ASSERT_EQ(rooms.status, 200u) << rooms.body;
  const json all = json::parse(rooms.body);
  ASSERT_EQ(all.size(), 1u) << all;
  EXPECT_EQ(all[0]["peers"], json::array({a->id()}));
  // The gauges of a node without peers show the cluster's room and peer.
  EXPECT_EQ(metric_value(nodes[1]->admin_port(), "parley_rooms"), 1);
  EXPECT_EQ(metric_value(nodes[1]->admin_port(), "parley_peers"), 1);
  // And it still drains on SIGTERM.
  nodes[1]->process().signal(SIGTERM);
  EXPECT_EQ(nodes[1]->process().wait_exit(5s), 0) << nodes[1]->process().log();
}

}  // namespace
}  // namespace parley::test
