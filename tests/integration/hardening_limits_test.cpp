// Every limit of protocol-v1 and interface-v1 that a single client can run
// into: connections in all and per address (HTTP 503 at the handshake), the
// token bucket (rate-limited, then 1008), message size (1009, also when
// fragments grow past it), JSON nesting depth (bad-json, never a crash), the
// request head size, close reasons (valid UTF-8, at most 123 bytes) and no
// permessage-deflate.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace parley::test {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr const char* kUpgradeHead =
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";

struct Frame {
  unsigned opcode;
  std::string payload;
};

// Splits the server's (unmasked) frames; an incomplete tail is left out.
std::vector<Frame> split_frames(const std::string& bytes) {
  std::vector<Frame> frames;
  std::size_t pos = 0;
  while (pos + 2 <= bytes.size()) {
    std::uint64_t len = static_cast<unsigned char>(bytes[pos + 1]) & 0x7F;
    std::size_t header = 2;
    if (len == 126) {
      if (pos + 4 > bytes.size()) break;
      len = (static_cast<unsigned char>(bytes[pos + 2]) << 8) |
            static_cast<unsigned char>(bytes[pos + 3]);
      header = 4;
    } else if (len == 127) {
      if (pos + 10 > bytes.size()) break;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(bytes[pos + 2 + i]);
      header = 10;
    }
    if (pos + header + len > bytes.size()) break;
    frames.push_back({static_cast<unsigned>(bytes[pos]) & 0x0F, bytes.substr(pos + header, len)});
    pos += header + len;
  }
  return frames;
}

// Well-formed UTF-8 as far as lead and continuation bytes go (enough for the
// short reasons checked here).
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    if (c < 0x80)
      extra = 0;
    else if (c >= 0xC2 && c <= 0xDF)
      extra = 1;
    else if ((c & 0xF0) == 0xE0)
      extra = 2;
    else if (c >= 0xF0 && c <= 0xF4)
      extra = 3;
    else
      return false;
    if (s.size() - i <= extra) return false;
    for (std::size_t k = 1; k <= extra; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += extra + 1;
  }
  return true;
}

void expect_sane_reason(const CloseFrame& close) {
  EXPECT_LE(close.reason.size(), 123u);
  EXPECT_TRUE(valid_utf8(close.reason)) << close.reason;
}

// Reads from `raw` until `done(bytes)` or the connection ends; returns the bytes.
std::string read_until(RawClient& raw, std::string bytes,
                       const std::function<bool(const std::string&)>& done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done(bytes) && std::chrono::steady_clock::now() < deadline) bytes += raw.read_some(200ms);
  return bytes;
}

// The status line of the answer to a WebSocket handshake made from `source`.
std::string handshake_status(std::uint16_t port, const std::string& source = "127.0.0.1") {
  net::io_context ioc;
  tcp::socket socket(ioc);
  socket.open(tcp::v4());
  socket.bind(tcp::endpoint(net::ip::make_address(source), 0));
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  net::write(socket, net::buffer(std::string(kUpgradeHead) + "\r\n"));
  net::streambuf head;
  net::read_until(socket, head, "\r\n");
  std::string line{net::buffers_begin(head.data()), net::buffers_end(head.data())};
  return line.substr(0, line.find("\r\n"));
}

// Holds an open WebSocket from `source` (a raw client would do, but the
// server must see the address).
struct HeldConnection {
  HeldConnection(std::uint16_t port, const std::string& source) : socket(ioc) {
    socket.open(tcp::v4());
    socket.bind(tcp::endpoint(net::ip::make_address(source), 0));
    socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    net::write(socket, net::buffer(std::string(kUpgradeHead) + "\r\n"));
    net::streambuf head;
    net::read_until(socket, head, "\r\n\r\n");
    std::string text{net::buffers_begin(head.data()), net::buffers_end(head.data())};
    status = text.substr(0, text.find("\r\n"));
  }
  net::io_context ioc;
  tcp::socket socket;
  std::string status;
};

TEST(HardeningLimits, MaxConnectionsAnswers503AtTheHandshakeAndFreesSeats) {
  Config config = test_config();
  config.limits.max_connections = 3;
  TestServer server(config);
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 3; ++i) clients.push_back(connect_peer(server.port()));
  EXPECT_EQ(handshake_status(server.port()), "HTTP/1.1 503 Service Unavailable");
  // Plain HTTP is not a connection in this sense.
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200u);
  clients.front()->close();
  clients.erase(clients.begin());
  // The seat comes back once the server has seen the close.
  EXPECT_TRUE(TestServer::eventually(
      [&] { return handshake_status(server.port()) == "HTTP/1.1 101 Switching Protocols"; }));
  // Dropped connections (no close frame) free their seats too.
  clients.front()->drop();
  clients.erase(clients.begin());
  std::vector<std::unique_ptr<HeldConnection>> held;
  EXPECT_TRUE(TestServer::eventually([&] {
    held.push_back(std::make_unique<HeldConnection>(server.port(), "127.0.0.1"));
    return held.back()->status == "HTTP/1.1 101 Switching Protocols";
  }));
}

TEST(HardeningLimits, MaxConnectionsPerIpCountsEachAddressOnItsOwn) {
  Config config = test_config();
  config.limits.max_connections_per_ip = 2;
  TestServer server(config);
  HeldConnection a1(server.port(), "127.0.0.1");
  HeldConnection a2(server.port(), "127.0.0.1");
  EXPECT_EQ(a1.status, "HTTP/1.1 101 Switching Protocols");
  EXPECT_EQ(a2.status, "HTTP/1.1 101 Switching Protocols");
  EXPECT_EQ(handshake_status(server.port(), "127.0.0.1"), "HTTP/1.1 503 Service Unavailable");
  // Another address (all of 127/8 is loopback) has seats of its own.
  HeldConnection b1(server.port(), "127.0.0.2");
  EXPECT_EQ(b1.status, "HTTP/1.1 101 Switching Protocols");
  EXPECT_EQ(handshake_status(server.port(), "127.0.0.3"), "HTTP/1.1 101 Switching Protocols");
  // Closing one of the first address's connections frees one seat.
  a1.socket.close();
  EXPECT_TRUE(TestServer::eventually([&] {
    return handshake_status(server.port(), "127.0.0.1") == "HTTP/1.1 101 Switching Protocols";
  }));
}

TEST(HardeningLimits, TokenBucketDropsThenClosesWith1008) {
  Config config = test_config();
  config.limits.message_burst = 5;
  config.limits.messages_per_second = 0.001;  // no refill within the test
  TestServer server(config);
  RawClient raw(server.port());
  std::string got = raw.upgrade();
  // Control frames cost nothing: many pings, then the burst of data messages.
  std::string burst;
  for (int i = 0; i < 20; ++i) burst += make_frame(0x89, "p" + std::to_string(i));
  burst += make_frame(0x81, "not json");  // bad messages cost a token too
  for (int i = 1; i < 5; ++i)
    burst += make_frame(0x81, R"({"type":"ping","rid":)" + std::to_string(i) + "}");
  // Then five drops, each answered, and the sixth within the window closes.
  for (int i = 5; i < 11; ++i)
    burst += make_frame(0x81, R"({"type":"ping","rid":)" + std::to_string(i) + "}");
  raw.write(burst);
  got = read_until(raw, got, [](const std::string& b) { return parse_close_frame(b).has_value(); });
  std::vector<std::string> texts;
  int pongs = 0;
  for (const auto& frame : split_frames(got)) {
    if (frame.opcode == 0xA) ++pongs;
    if (frame.opcode == 0x1) texts.push_back(frame.payload);
  }
  EXPECT_EQ(pongs, 20);
  // welcome, bad-json, 4 pongs, 5 rate-limited: the 1008 close drops what is
  // still queued for the abuser, so a tail of these may be missing (the
  // metrics below count them all).
  ASSERT_LE(texts.size(), 11u);
  ASSERT_GE(texts.size(), 1u);
  if (texts.size() > 1) {
    EXPECT_EQ(json::parse(texts[1])["code"], "bad-json");
  }
  for (std::size_t i = 2; i < texts.size(); ++i) {
    const json answer = json::parse(texts[i]);
    EXPECT_EQ(answer["rid"], i - 1);  // pongs, then rate-limited errors: each its own rid
    if (i >= 6) {
      EXPECT_EQ(answer["code"], "rate-limited");
    }
  }
  const auto close = parse_close_frame(got);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 1008u);
  expect_sane_reason(*close);
  EXPECT_EQ(metric_value(server.admin_port(), "parley_rate_limit_closes_total"), 1);
  EXPECT_EQ(metric_value(server.admin_port(), "parley_errors_total{code=\"rate-limited\"}"), 5);
}

// A dropped message is not parsed, but its `rid` is found and echoed when the
// text is a JSON object with a valid one; anything else gets no `rid`.
TEST(HardeningLimits, RateLimitedErrorsCarryTheDroppedMessagesRid) {
  Config config = test_config();
  config.limits.message_burst = 20;
  config.limits.messages_per_second = 0.001;  // no refill within the test
  TestServer server(config);
  auto client = connect_peer(server.port());
  for (int i = 0; i < 20; ++i) client->send({{"type", "ping"}});
  for (int i = 0; i < 20; ++i) ASSERT_EQ(client->recv()["type"], "pong");

  const std::string long_rid(65, 'r');
  const std::vector<std::pair<std::string, json>> drops = {
      {R"({"type":"ping","rid":"p-1"})", "p-1"},
      {R"({"type":"offer","sdp":"v=0","rid":42})", 42},
      {R"({"rid":-7,"type":"what"})", -7},  // other members are not checked
      {R"({"type":"ping","rid":1.5})", 1.5},
      {R"({"type":"ping","rid":"first","rid":"last"})", "last"},
      {R"({"type":"ping","rid":"caf\u00e9"})", "caf\u00e9"},
      {R"({"type":"ping","rid":null})", nullptr},
      {R"({"type":"ping","rid":")" + long_rid + R"("})", nullptr},
      {R"({"type":"ping","rid":{"a":1}})", nullptr},
      {R"({"type":"message","data":{"rid":5}})", nullptr},  // not top-level
      {R"([{"rid":5}])", nullptr},
      {R"({"rid":5} {"rid":6})", nullptr},
      {R"({"rid":5,)", nullptr},
      {"not json", nullptr},
  };
  for (const auto& [text, rid] : drops) client->send_text(text);
  for (const auto& [text, rid] : drops) {
    const json answer = client->recv();
    EXPECT_EQ(answer["type"], "error") << text;
    EXPECT_EQ(answer["code"], "rate-limited") << text;
    if (rid.is_null())
      EXPECT_FALSE(answer.contains("rid")) << text << " -> " << answer.dump();
    else
      EXPECT_EQ(answer["rid"], rid) << text << " -> " << answer.dump();
  }
}

TEST(HardeningLimits, FragmentsThatGrowPastTheMessageLimitClose1009) {
  Config config = test_config();
  config.limits.max_message_bytes = 1024;
  TestServer server(config);
  RawClient raw(server.port());
  std::string got = raw.upgrade();
  const std::string start = R"({"type":"message","data":")";
  raw.write(make_frame(0x01, start + std::string(600 - start.size(), 'a')));
  // The second fragment's header alone declares more than the limit allows.
  raw.write(make_frame(0x00, std::string(600, 'b')).substr(0, 8));
  const auto close = parse_close_frame(got + raw.read_until_eof(5s));
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 1009u);
  expect_sane_reason(*close);
}

TEST(HardeningLimits, DeepJsonIsBadJsonNeverACrash) {
  Config config = test_config();
  config.limits.max_message_bytes = 256 * 1024;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("deep");
  b->join("deep");
  a->recv_type("peer-joined");
  auto expect_bad_json = [&](const std::string& text) {
    a->send_text(text);
    json answer = a->recv();
    EXPECT_EQ(answer["code"], "bad-json") << text.substr(0, 40);
  };
  const std::size_t deep = 60000;
  expect_bad_json(std::string(deep, '['));
  expect_bad_json(std::string(deep, '[') + std::string(deep, ']'));
  std::string objects;
  for (std::size_t i = 0; i < 30000; ++i) objects += R"({"a":)";
  expect_bad_json(objects + "1" + std::string(30000, '}'));
  expect_bad_json(R"({"type":"message","data":)" + std::string(deep, '[') + std::string(deep, ']') +
                  "}");
  // Brackets inside strings are text, not nesting.
  a->send({{"type", "message"}, {"data", std::string(deep, '[')}});
  EXPECT_EQ(b->recv()["data"].get<std::string>().size(), deep);
  // Application data of a sane depth is relayed as it is.
  json nested = 1;
  for (int i = 0; i < 32; ++i) nested = json::array({nested});
  a->send({{"type", "message"}, {"data", nested}});
  EXPECT_EQ(b->recv()["data"], nested);
}

TEST(HardeningLimits, ARequestHeadOver16KiBIsRefusedAndNeverUpgraded) {
  TestServer server;
  RawClient raw(server.port());
  raw.write(std::string(kUpgradeHead) + "X-Filler: " + std::string(20 * 1024, 'f') + "\r\n\r\n");
  const std::string answer = raw.read_until_eof(5s);
  EXPECT_EQ(answer.find("101 Switching Protocols"), std::string::npos);
  if (!answer.empty()) {
    const unsigned status = static_cast<unsigned>(std::stoul(answer.substr(9, 3)));
    EXPECT_GE(status, 400u);
    EXPECT_LT(status, 500u);
  }
  // Many headers instead of one long one.
  RawClient many(server.port());
  std::string head = kUpgradeHead;
  for (int i = 0; i < 2000; ++i) head += "X-H" + std::to_string(i) + ": v\r\n";
  many.write(head + "\r\n");
  EXPECT_EQ(many.read_until_eof(5s).find("101 Switching Protocols"), std::string::npos);
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200u);
}

TEST(HardeningLimits, PermessageDeflateIsNeverNegotiated) {
  TestServer server;
  RawClient raw(server.port());
  raw.write(std::string(kUpgradeHead) +
            "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n"
            "Sec-WebSocket-Extensions: x-webkit-deflate-frame\r\n\r\n");
  const std::string answer = read_until(
      raw, "", [](const std::string& b) { return b.find("\r\n\r\n") != std::string::npos; });
  EXPECT_EQ(answer.rfind("HTTP/1.1 101 ", 0), 0u) << answer;
  std::string lower = answer.substr(0, answer.find("\r\n\r\n"));
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  EXPECT_EQ(lower.find("sec-websocket-extensions"), std::string::npos) << answer;
  // A compressed frame (RSV1) is then a protocol error.
  const auto close = parse_close_frame(answer.substr(answer.find("\r\n\r\n") + 4) + [&] {
    raw.write(make_frame(0xC1, "compressed?"));
    return raw.read_until_eof(5s);
  }());
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 1002u);
}

TEST(HardeningLimits, ServerCloseReasonsAreShortValidUtf8) {
  TestServer server;
  // 1003, a close of the server's own with a reason.
  {
    RawClient raw(server.port());
    std::string got = raw.upgrade();
    raw.write(make_frame(0x82, "\x01\x02"));
    got =
        read_until(raw, got, [](const std::string& b) { return parse_close_frame(b).has_value(); });
    const auto close = parse_close_frame(got);
    ASSERT_TRUE(close.has_value());
    EXPECT_EQ(close->code, 1003u);
    expect_sane_reason(*close);
  }
  // 1001, the drain.
  RawClient raw(server.port());
  std::string got = raw.upgrade();
  server.server().shutdown();
  got = read_until(raw, got, [](const std::string& b) { return parse_close_frame(b).has_value(); });
  const auto close = parse_close_frame(got);
  ASSERT_TRUE(close.has_value());
  EXPECT_EQ(close->code, 1001u);
  expect_sane_reason(*close);
}

}  // namespace
}  // namespace parley::test
