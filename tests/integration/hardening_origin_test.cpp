// The Origin allowlist (allowed_origins) against cross-site WebSocket
// hijacking: a page of a foreign site cannot open a WebSocket to parley with
// its visitor's browser. Exact match only; "*" allows every origin; a request
// without Origin (not a browser) is allowed.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "rooms/room_directory.hpp"

namespace parley::test {
namespace {

// The raw answer to a WebSocket handshake on /ws carrying `origin_header`
// lines (each "Origin: ...\r\n", or nothing).
std::string handshake(std::uint16_t port, const std::string& origin_lines) {
  RawClient raw(port);
  raw.write(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" +
      origin_lines + "\r\n");
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (got.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    got += raw.read_some(1s);
  return got;
}

bool upgraded(const std::string& answer) { return answer.rfind("HTTP/1.1 101 ", 0) == 0; }
bool forbidden(const std::string& answer) { return answer.rfind("HTTP/1.1 403 ", 0) == 0; }

TEST(HardeningOrigin, OnlyListedOriginsMayOpenAWebSocket) {
  Config config = test_config();
  config.allowed_origins = {"https://call.example", "http://localhost:8080"};
  TestServer server(config);
  EXPECT_TRUE(upgraded(handshake(server.port(), "Origin: https://call.example\r\n")));
  EXPECT_TRUE(upgraded(handshake(server.port(), "Origin: http://localhost:8080\r\n")));
  // Not a browser: nothing to protect.
  EXPECT_TRUE(upgraded(handshake(server.port(), "")));
  for (const char* foreign :
       {"https://evil.example", "http://call.example", "https://call.example:443",
        "https://call.example.evil.example", "https://sub.call.example", "https://call.exampl",
        "https://call.example/", "null", "HTTPS://CALL.EXAMPLE", "http://localhost:8081",
        "http://localhost"}) {
    SCOPED_TRACE(foreign);
    const auto answer = handshake(server.port(), std::string("Origin: ") + foreign + "\r\n");
    EXPECT_TRUE(forbidden(answer)) << answer;
    EXPECT_EQ(answer.find("Sec-WebSocket-Accept"), std::string::npos);
  }
  // The refusals are counted.
  EXPECT_EQ(metric_value(server.admin_port(), "parley_handshake_rejections_total"), 11);
}

TEST(HardeningOrigin, ARefusedHandshakeLeavesNoWebSocketBehind) {
  Config config = test_config();
  config.allowed_origins = {"https://call.example"};
  TestServer server(config);
  RawClient raw(server.port());
  raw.write(
      "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
      "Origin: https://evil.example\r\n\r\n");
  // Frames sent regardless are never read as WebSocket frames: the server
  // answers 403 and closes the connection.
  raw.write(make_frame(0x81, R"({"type":"join","room":"hijack"})"));
  const std::string answer = raw.read_until_eof(5s);
  EXPECT_TRUE(forbidden(answer)) << answer;
  EXPECT_EQ(room_counts(server).rooms, 0u);
  EXPECT_EQ(metric_value(server.admin_port(), "parley_connections"), 0);
  EXPECT_EQ(metric_value(server.admin_port(), "parley_connections_total"), 0);
}

TEST(HardeningOrigin, StarAllowsEveryOrigin) {
  TestServer server;  // the default: ["*"]
  EXPECT_TRUE(upgraded(handshake(server.port(), "Origin: https://anything.example\r\n")));
  EXPECT_TRUE(upgraded(handshake(server.port(), "Origin: null\r\n")));
  Config config = test_config();
  config.allowed_origins = {"https://call.example", "*"};
  TestServer mixed(config);
  EXPECT_TRUE(upgraded(handshake(mixed.port(), "Origin: https://other.example\r\n")));
}

TEST(HardeningOrigin, AnEmptyListAllowsOnlyClientsWithoutOrigin) {
  Config config = test_config();
  config.allowed_origins = {};
  TestServer server(config);
  EXPECT_TRUE(forbidden(handshake(server.port(), "Origin: https://call.example\r\n")));
  EXPECT_TRUE(upgraded(handshake(server.port(), "")));
}

}  // namespace
}  // namespace parley::test
