// Server messages (integration-v1 "Server messages"): POST
// /admin/rooms/{room}/messages reaches every peer of a room, or one, in both
// dialects, never watchers; a lost peer gets it after its resume, in order with
// relayed messages; bad bodies, unknown rooms and peers are refused.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace parley::test {
namespace {

namespace http = boost::beast::http;

const std::pair<std::string, std::string> kAuth{"Authorization", "Bearer test-admin-token"};

HttpResult post_message(std::uint16_t admin_port, const std::string& room_segment,
                        const std::string& body) {
  return http_request(admin_port, http::verb::post, "/admin/rooms/" + room_segment + "/messages",
                      {kAuth, {"Content-Type", "application/json"}}, body);
}

HttpResult post_message(std::uint16_t admin_port, const std::string& room_segment,
                        const json& body) {
  return post_message(admin_port, room_segment, body.dump());
}

json server_message(const std::string& room, const json& data) {
  return {{"type", "server-message"}, {"room", room}, {"data", data}};
}

// A socket.io peer over WebSocket from the start, connected and in `room`.
struct SocketioPeer {
  SocketioPeer(std::uint16_t port, const std::string& room)
      : client(port, "/socket.io/?EIO=4&transport=websocket") {
    const std::string open = client.recv_text();
    EXPECT_EQ(open.front(), '0') << open;
    client.send_text("40");
    const std::string connect = client.recv_text();
    EXPECT_EQ(connect.rfind("40{", 0), 0u) << connect;
    id = json::parse(connect.substr(2)).at("sid").get<std::string>();
    client.send_text(json::array({"join", room}).dump().insert(0, "42"));
    EXPECT_EQ(client.recv_text(), "42" + json::array({"joined", room, id}).dump());
  }
  // The next event packet (42[...]) as its JSON array, skipping pings.
  json next_event() {
    for (;;) {
      const std::string packet = client.recv_text();
      if (packet == "2") {
        client.send_text("3");
        continue;
      }
      EXPECT_EQ(packet.rfind("42", 0), 0u) << packet;
      return json::parse(packet.substr(2));
    }
  }
  WsClient client;
  std::string id;
};

TEST(ServerMessages, ToEveryPeerOfARoomInBothDialects) {
  Config config = test_config();
  config.limits.max_peers_per_room = 4;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("hall");
  b->join("hall");
  a->recv_type("peer-joined");
  SocketioPeer sio(server.port(), "hall");
  a->recv_type("peer-joined");
  b->recv_type("peer-joined");
  // A watcher of the room, and a peer of another room: neither hears it.
  auto watcher = connect_peer(server.port());
  watcher->send({{"type", "watch"}, {"room", "hall"}});
  watcher->recv_type("watching");
  auto elsewhere = connect_peer(server.port());
  elsewhere->join("other");

  const json data = {{"notice", "the host ended the meeting"}, {"n", 1}};
  const auto answer = post_message(server.admin_port(), "hall", json{{"data", data}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(json::parse(answer.body), json({{"delivered", 3}}));
  EXPECT_EQ(a->recv(), server_message("hall", data));
  EXPECT_EQ(b->recv(), server_message("hall", data));
  EXPECT_EQ(sio.next_event(), json::array({"server-message", "hall", data}));

  // Any JSON is data: a string, null.
  ASSERT_EQ(post_message(server.admin_port(), "hall", json{{"data", "plain"}}).status, 200u);
  ASSERT_EQ(post_message(server.admin_port(), "hall", std::string(R"({"data": null})")).status,
            200u);
  EXPECT_EQ(a->recv(), server_message("hall", "plain"));
  EXPECT_EQ(a->recv(), server_message("hall", nullptr));
  EXPECT_EQ(sio.next_event(), json::array({"server-message", "hall", "plain"}));
  EXPECT_EQ(sio.next_event(), json::array({"server-message", "hall", nullptr}));

  // The watcher and the other room got nothing: the next thing each hears is
  // something later.
  elsewhere->send({{"type", "ping"}});
  EXPECT_EQ(elsewhere->recv()["type"], "pong");
  b->send({{"type", "leave"}});
  const json left = watcher->recv();
  EXPECT_EQ(left["type"], "peer-left") << left;
  EXPECT_EQ(left["id"], b->id());
}

TEST(ServerMessages, ToOnePeerInEitherDialect) {
  Config config = test_config();
  config.limits.max_peers_per_room = 4;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("duo");
  b->join("duo");
  a->recv_type("peer-joined");
  SocketioPeer sio(server.port(), "duo");
  a->recv_type("peer-joined");
  b->recv_type("peer-joined");

  auto answer =
      post_message(server.admin_port(), "duo", json{{"data", {{"for", "b"}}}, {"to", b->id()}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(json::parse(answer.body), json({{"delivered", 1}}));
  EXPECT_EQ(b->recv(), server_message("duo", {{"for", "b"}}));

  answer =
      post_message(server.admin_port(), "duo", json{{"data", {{"for", "sio"}}}, {"to", sio.id}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(sio.next_event(), json::array({"server-message", "duo", {{"for", "sio"}}}));

  // `a` got neither: the next thing it hears is this relay.
  b->send({{"type", "message"}, {"data", "after"}});
  EXPECT_EQ(a->recv()["data"], "after");
}

TEST(ServerMessages, BadRequestsAreRefused) {
  TestServer server;
  auto a = connect_peer(server.port());
  a->join("r");
  auto outsider = connect_peer(server.port());
  outsider->join("elsewhere");
  const auto port = server.admin_port();
  EXPECT_EQ(post_message(port, "nope", json{{"data", 1}}).status, 404u);
  EXPECT_EQ(post_message(port, "r", json{{"data", 1}, {"to", "no-such-peer"}}).status, 404u);
  EXPECT_EQ(post_message(port, "r", json{{"data", 1}, {"to", outsider->id()}}).status, 404u);
  for (const std::string body : {"", "not json", "[1]", "{}", R"({"to": "x"})",
                                 R"({"data": 1, "to": 5})", R"({"data": 1, "to": null})"}) {
    const auto answer = post_message(port, "r", body);
    EXPECT_EQ(answer.status, 400u) << body;
    EXPECT_TRUE(json::parse(answer.body, nullptr, false).contains("error")) << answer.body;
  }
  // Too large for a client frame (limits.max_message_bytes).
  const auto big = post_message(port, "r", json{{"data", std::string(70000, 'x')}});
  EXPECT_EQ(big.status, 413u) << big.body;
  // The admin token is needed; GET is not a send.
  EXPECT_EQ(
      http_request(port, http::verb::post, "/admin/rooms/r/messages", {}, R"({"data":1})").status,
      401u);
  EXPECT_EQ(http_get(port, "/admin/rooms/r/messages", {kAuth}).status, 405u);
  // None of it reached the peer.
  ASSERT_EQ(post_message(port, "r", json{{"data", "ok"}}).status, 200u);
  EXPECT_EQ(a->recv(), server_message("r", "ok"));
}

TEST(ServerMessages, RoomNamesArePercentEncoded) {
  TestServer server;
  auto a = connect_peer(server.port());
  a->join("a/b c");
  const auto answer = post_message(server.admin_port(), "a%2Fb%20c", json{{"data", 7}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(a->recv(), server_message("a/b c", 7));
}

TEST(ServerMessages, ALostPeerGetsThemAfterItsResumeInOrder) {
  Config config = test_config();
  config.resume.grace = 30;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "keep");
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const std::string token = b->resume_token();
  const std::string b_id = b->id();
  b->drop();
  ASSERT_TRUE(await_away(server));

  a->send(message_with_seq(1));
  settle(*a);
  auto answer = post_message(server.admin_port(), "keep", json{{"data", "to all"}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  EXPECT_EQ(json::parse(answer.body), json({{"delivered", 2}})) << "the away peer counts";
  EXPECT_EQ(a->recv(), server_message("keep", "to all"));
  answer = post_message(server.admin_port(), "keep", json{{"data", "to b"}, {"to", b_id}});
  ASSERT_EQ(answer.status, 200u) << answer.body;
  a->send(message_with_seq(2));
  settle(*a);

  WsClient b2(server.port());
  b2.read_welcome();
  b2.send({{"type", "resume"}, {"token", token}});
  EXPECT_EQ(b2.recv()["type"], "resumed");
  EXPECT_EQ(b2.recv()["data"], json({{"seq", 1}}));
  EXPECT_EQ(b2.recv(), server_message("keep", "to all"));
  EXPECT_EQ(b2.recv(), server_message("keep", "to b"));
  EXPECT_EQ(b2.recv()["data"], json({{"seq", 2}}));
}

}  // namespace
}  // namespace parley::test
