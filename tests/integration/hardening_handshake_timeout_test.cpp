// limits.handshake_timeout: a TCP connection that does not complete its HTTP
// request in time is closed, whether it sends nothing, half a request, or
// dribbles bytes. And memory comes back (interface-v1 "Resources"): after
// 1,000 connections that never handshake are closed, the daemon's RSS returns
// below twice its level before the burst, and a second equal burst does not
// grow it by more than 20%.
#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"

namespace parley::test {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;

Config quick_handshake_config() {
  Config config = test_config();
  config.limits.handshake_timeout = 0.5;
  return config;
}

TEST(HardeningHandshakeTimeout, SilentAndHalfFinishedConnectionsAreClosed) {
  TestServer server(quick_handshake_config());
  // An established WebSocket is past its handshake: the timeout is not its.
  auto established = connect_peer(server.port());
  RawClient silent(server.port());
  RawClient half(server.port());
  half.write("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n");
  RawClient no_body(server.port());
  no_body.write("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly a part");
  EXPECT_TRUE(silent.closed_by_peer(10s));
  EXPECT_TRUE(half.closed_by_peer(10s));
  EXPECT_TRUE(no_body.closed_by_peer(10s));
  established->send({{"type", "ping"}});
  EXPECT_EQ(established->recv()["type"], "pong");
}

TEST(HardeningHandshakeTimeout, DribblingBytesDoesNotExtendTheDeadline) {
  TestServer server(quick_handshake_config());
  RawClient dribbler(server.port());
  dribbler.write("GET / HTTP/1.1\r\n");
  // One header line after another: bytes keep coming, but the deadline is
  // for the whole request, so the server closes the connection; the write
  // after that close fails.
  bool closed = false;
  for (int i = 0; i < 400 && !closed; ++i) {
    try {
      dribbler.write("X-Slow-" + std::to_string(i) + ": 1\r\n");
    } catch (const std::exception&) {
      closed = true;
      break;
    }
    dribbler.read_some(50ms);  // paces the dribble (the server answers nothing)
  }
  EXPECT_TRUE(closed);
}

TEST(HardeningHandshakeTimeout, KeepAliveConnectionsGetTheSameDeadlineForTheNextRequest) {
  TestServer server(quick_handshake_config());
  RawClient client(server.port());
  client.write("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (got.find("ok\n") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    got += client.read_some(1s);
  ASSERT_EQ(got.rfind("HTTP/1.1 200", 0), 0u) << got;
  // Kept alive, but idle: closed like a connection that never asked anything.
  EXPECT_TRUE(client.closed_by_peer(10s));
}

// Opens `count` TCP connections that send nothing and waits until the server
// has closed every one of them. False if some stayed open for 30 s.
bool idle_burst(std::uint16_t port, int count) {
  net::io_context ioc;
  std::vector<std::unique_ptr<tcp::socket>> sockets;
  std::vector<std::array<char, 64>> buffers(static_cast<std::size_t>(count));
  int closed = 0;
  for (int i = 0; i < count; ++i) {
    auto socket = std::make_unique<tcp::socket>(ioc);
    socket->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
    socket->async_read_some(net::buffer(buffers[static_cast<std::size_t>(i)]),
                            [&closed](boost::system::error_code ec, std::size_t) {
                              // Nothing was asked, so nothing but the end comes.
                              if (ec) ++closed;
                            });
    sockets.push_back(std::move(socket));
  }
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  while (closed < count && std::chrono::steady_clock::now() < deadline)
    ioc.run_one_until(deadline);
  return closed == count;
}

TEST(HardeningHandshakeTimeout, AThousandIdleConnectionsAreClosedAndMemoryComesBack) {
  DaemonProcess daemon({"--address", "127.0.0.1", "--port", "0"},
                       {{"PARLEY_ADMIN_PORT", "0"},
                        {"PARLEY_STATIC_DIR", ""},
                        {"PARLEY_LIMITS_HANDSHAKE_TIMEOUT", "0.5"}});
  // Warm up the paths a connection takes, so the baseline is not a cold start.
  for (int i = 0; i < 20; ++i) EXPECT_EQ(http_get(daemon.port(), "/healthz").status, 200u);
  ASSERT_TRUE(idle_burst(daemon.port(), 20));
  const std::size_t before = daemon.rss_bytes();
  ASSERT_GT(before, 0u);

  ASSERT_TRUE(idle_burst(daemon.port(), 1000));
  EXPECT_TRUE(TestServer::eventually([&] { return daemon.rss_bytes() < 2 * before; }, 10s))
      << "RSS " << daemon.rss_bytes() << " bytes, before the burst " << before;
  const std::size_t after_first = daemon.rss_bytes();

  ASSERT_TRUE(idle_burst(daemon.port(), 1000));
  EXPECT_TRUE(TestServer::eventually(
      [&] { return daemon.rss_bytes() <= after_first + after_first / 5; }, 10s))
      << "RSS " << daemon.rss_bytes() << " bytes, after the first burst " << after_first;
  // And the daemon still serves.
  EXPECT_EQ(http_get(daemon.port(), "/healthz").status, 200u);
  auto peer = connect_peer(daemon.port());
  peer->send({{"type", "ping"}});
  EXPECT_EQ(peer->recv()["type"], "pong");
}

}  // namespace
}  // namespace parley::test
