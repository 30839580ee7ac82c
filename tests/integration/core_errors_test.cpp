// Every error a client of the core daemon can cause gets a clear `error` frame
// and leaves the connection usable; binary and oversized messages close it.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace parley::test {
namespace {

// Sends `text` and expects an error with `code` (and the connection still
// answering a ping afterwards).
void expect_error(WsClient& client, const std::string& text, const std::string& code,
                  const json& rid = nullptr) {
  client.send_text(text);
  json error = client.recv();
  EXPECT_EQ(error["type"], "error") << text;
  EXPECT_EQ(error["code"], code) << text;
  EXPECT_TRUE(error["message"].is_string());
  if (!rid.is_null()) {
    EXPECT_EQ(error["rid"], rid) << text;
  } else {
    EXPECT_FALSE(error.contains("rid")) << text;
  }
  client.send({{"type", "ping"}});
  EXPECT_EQ(client.recv()["type"], "pong");
}

TEST(CoreErrors, EachCodeAndTheConnectionStaysOpen) {
  Config config = test_config();
  config.limits.max_rooms = 1;
  TestServer server(config);
  auto c = connect_peer(server.port());
  expect_error(*c, "not json", "bad-json");
  expect_error(*c, "[1,2,3]", "bad-json");
  expect_error(*c, R"({"no":"type"})", "bad-message");
  expect_error(*c, R"({"type":"join","rid":null,"room":"x"})", "bad-message");
  expect_error(*c, R"({"type":"teleport","rid":"t"})", "unknown-type", "t");
  expect_error(*c, R"({"type":"join","room":"","rid":1})", "bad-room", 1);
  expect_error(*c, R"({"type":"join","room":7,"rid":1})", "bad-message", 1);
  expect_error(*c, R"({"type":"offer","sdp":"x","rid":2})", "not-in-room", 2);
  expect_error(*c, R"({"type":"offer","rid":2})", "bad-message", 2);  // fields first
  expect_error(*c, R"({"type":"leave","rid":"l"})", "not-in-room", "l");
  c->join("only-room");
  expect_error(*c, R"({"type":"join","room":"other","rid":4})", "already-in-room", 4);
  expect_error(*c, R"({"type":"message","data":1,"to":"nobody","rid":5})", "unknown-peer", 5);
  expect_error(*c, R"({"type":"message","data":1,"to":")" + c->id() + R"(","rid":6})",
               "unknown-peer", 6);
  expect_error(*c, R"({"type":"resume","token":"whatever","rid":7})", "resume-failed", 7);

  auto d = connect_peer(server.port());
  expect_error(*d, R"({"type":"join","room":"second","rid":8})", "room-limit", 8);
  // Joining the existing room is never refused for the room limit.
  EXPECT_EQ(d->join("only-room")["peers"], json::array({c->id()}));
}

TEST(CoreErrors, ErrorsAreCounted) {
  TestServer server;
  auto c = connect_peer(server.port());
  c->send_text("garbage");
  c->recv();
  auto metrics = http_get(server.admin_port(), "/metrics").body;
  EXPECT_NE(metrics.find("parley_errors_total{code=\"bad-json\"} 1"), std::string::npos);
}

TEST(CoreErrors, BinaryMessageClosesWith1003) {
  TestServer server;
  auto c = connect_peer(server.port());
  c->send_binary("\x01\x02");
  EXPECT_EQ(c->expect_close(), 1003u);
}

TEST(CoreErrors, OversizeMessageClosesWith1009) {
  Config config = test_config();
  config.limits.max_message_bytes = 1024;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("big");
  b->join("big");
  a->recv_type("peer-joined");
  // Exactly at the limit is fine.
  std::string at_limit = R"({"type":"message","data":")";
  at_limit += std::string(1024 - at_limit.size() - 2, 'x') + "\"}";
  ASSERT_EQ(at_limit.size(), 1024u);
  a->send_text(at_limit);
  EXPECT_EQ(b->recv()["type"], "message");
  a->send_text(at_limit.substr(0, at_limit.size() - 2) + "xx\"}");
  EXPECT_EQ(a->expect_close(), 1009u);
  // The other peer learns at once that a is gone (the server closed it).
  json left = b->recv();
  EXPECT_EQ(left["type"], "peer-left");
  EXPECT_EQ(left["reason"], "disconnect");
}

TEST(CoreErrors, OversizeIsRefusedFromTheFrameHeaderBeforeThePayload) {
  Config config = test_config();
  config.limits.max_message_bytes = 1024;
  TestServer server(config);
  RawClient raw(server.port());
  std::string rest = raw.upgrade();
  // A frame header declaring 1 MiB, and none of the payload.
  std::string header = make_frame(0x81, std::string(1 << 20, 'x'));
  raw.write(header.substr(0, 14));
  std::string got = rest + raw.read_until_eof(5s);
  EXPECT_EQ(parse_close_code(got), 1009u);
}

}  // namespace
}  // namespace parley::test
