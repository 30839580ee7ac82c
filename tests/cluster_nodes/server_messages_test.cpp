// Server messages in a cluster (integration-v1.md "Server messages": cluster-wide):
// POST /admin/rooms/{room}/messages on any node reaches the room's peers on
// every node, in both dialects, or one peer on another node; `delivered` counts
// them all; a room or a `to` that exists on no node is 404; a peer handed over
// by a stopping node gets its server message after resuming elsewhere. Real
// daemons on one redis-server; every wait is for an event, bounded.
#include <signal.h>

#include <gtest/gtest.h>

#include "cluster_nodes.hpp"

namespace parley::test {
namespace {

namespace http = boost::beast::http;

HttpResult post_message(std::uint16_t admin_port, const std::string& room, const json& body) {
  return http_request(
      admin_port, http::verb::post, "/admin/rooms/" + room + "/messages",
      {{"Authorization", "Bearer test-admin-token"}, {"Content-Type", "application/json"}},
      body.dump());
}

json server_message(const std::string& room, const json& data) {
  return {{"type", "server-message"}, {"room", room}, {"data", data}};
}

const Env kEnv = {{"PARLEY_ADMIN_TOKEN", "test-admin-token"},
                  {"PARLEY_LIMITS_MAX_PEERS_PER_ROOM", "4"},
                  {"PARLEY_RESUME_GRACE", "30"}};

TEST(ClusterServerMessages, ReachTheRoomOnEveryNodeInBothDialects) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2, kEnv);
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  a->join("span");
  b->join("span");
  a->recv_type("peer-joined");
  WsClient sio(nodes[1]->port(), "/socket.io/?EIO=4&transport=websocket");
  ASSERT_EQ(sio.recv_text().front(), '0');  // the Engine.IO open packet
  sio.send_text("40");
  const std::string connected = sio.recv_text();
  ASSERT_EQ(connected.rfind("40{", 0), 0u) << connected;
  const std::string sio_id = json::parse(connected.substr(2)).at("sid");
  sio.send_text(R"(42["join","span"])");
  EXPECT_EQ(sio.recv_text(), R"(42["joined","span",")" + sio_id + R"("])");
  a->recv_type("peer-joined");
  b->recv_type("peer-joined");
  // Only node 1 has peers of this one.
  auto lone = connect_peer(nodes[1]->port());
  lone->join("far");

  // From node 0's admin API: its own peer, and node 1's two.
  const json data = {{"notice", "the host ended the meeting"}};
  auto answer = post_message(nodes[0]->admin_port(), "span", {{"data", data}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(json::parse(answer.body), json({{"delivered", 3}}));
  EXPECT_EQ(a->recv(), server_message("span", data));
  EXPECT_EQ(b->recv(), server_message("span", data));
  EXPECT_EQ(sio.recv_text(), "42" + json::array({"server-message", "span", data}).dump());

  // To one peer on the other node, and to a room with no peer on this one.
  answer = post_message(nodes[0]->admin_port(), "span", {{"data", "for b"}, {"to", b->id()}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(json::parse(answer.body), json({{"delivered", 1}}));
  EXPECT_EQ(b->recv(), server_message("span", "for b"));
  answer = post_message(nodes[0]->admin_port(), "far", {{"data", 7}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(json::parse(answer.body), json({{"delivered", 1}}));
  EXPECT_EQ(lone->recv(), server_message("far", 7));

  // No such room on any node; a `to` that is in another room.
  EXPECT_EQ(post_message(nodes[0]->admin_port(), "nowhere", {{"data", 1}}).status, 404u);
  EXPECT_EQ(post_message(nodes[1]->admin_port(), "span", {{"data", 1}, {"to", lone->id()}}).status,
            404u);

  // Nobody got a second copy or another's: the next thing each hears is this.
  b->send({{"type", "message"}, {"data", "after"}});
  EXPECT_EQ(a->recv_type("message")["data"], "after");
  const json next = json::parse(sio.recv_text().substr(2));
  EXPECT_EQ(next[0], "message") << next;
  lone->send({{"type", "ping"}});
  EXPECT_EQ(lone->recv()["type"], "pong");
}

TEST(ClusterServerMessages, APeerHandedOverGetsItAfterResumingOnAnotherNode) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2, kEnv);
  auto a = connect_peer(nodes[0]->port());
  auto b = connect_peer(nodes[1]->port());
  const std::string b_id = b->id(), token = b->resume_token();
  pair_up(*a, *b, "move");

  nodes[1]->process().signal(SIGTERM);
  EXPECT_EQ(b->expect_close(10s), 1012u);
  EXPECT_EQ(nodes[1]->process().wait_exit(5s), 0) << nodes[1]->process().log();

  auto answer = post_message(nodes[0]->admin_port(), "move", {{"data", "to all"}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(json::parse(answer.body), json({{"delivered", 2}})) << "the away peer counts";
  EXPECT_EQ(a->recv(), server_message("move", "to all"));
  a->send(message_with_seq(1));
  settle(*a);
  answer = post_message(nodes[0]->admin_port(), "move", {{"data", "to b"}, {"to", b_id}});
  ASSERT_EQ(answer.status, 200u) << answer.body;

  auto again = connect_peer(nodes[0]->port());
  again->send({{"type", "resume"}, {"token", token}});
  const json resumed = again->recv(10s);
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump() << nodes[0]->process().log();
  EXPECT_EQ(resumed["id"], b_id);
  EXPECT_EQ(again->recv(), server_message("move", "to all"));
  EXPECT_EQ(again->recv()["data"], json({{"seq", 1}}));
  EXPECT_EQ(again->recv(), server_message("move", "to b"));
}

}  // namespace
}  // namespace parley::test
