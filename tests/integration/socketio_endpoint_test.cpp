// The socket.io endpoint over real sockets, at the Engine.IO level: both
// transports by hand, the upgrade, interop with a native peer, the drain and the
// connection gauge. (The real socket.io-client drives it in tests/node.)
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "harness.hpp"
#include "rooms/room_directory.hpp"

namespace parley::test {
namespace {

namespace http = boost::beast::http;

std::string polling(const std::string& sid = {}) {
  return "/socket.io/?EIO=4&transport=polling" + (sid.empty() ? "" : "&sid=" + sid);
}

std::string websocket(const std::string& sid = {}) {
  return "/socket.io/?EIO=4&transport=websocket" + (sid.empty() ? "" : "&sid=" + sid);
}

// The JSON after a packet's type digits (`skip` of them).
json payload(const std::string& packet, std::size_t skip) {
  return json::parse(packet.substr(skip));
}

// A long-polling session made by hand.
struct PollingPeer {
  std::uint16_t port;
  std::string sid;
  std::string id;  // the Socket.IO sid, once connected (= the parley peer id)

  static PollingPeer open(std::uint16_t port) {
    const auto answer = http_get(port, polling());
    EXPECT_EQ(answer.status, 200u) << answer.body;
    EXPECT_EQ(answer.body.front(), '0');
    return PollingPeer{port, payload(answer.body, 1).at("sid").get<std::string>(), {}};
  }
  HttpResult post(const std::string& body) const {
    return http_request(port, http::verb::post, polling(sid),
                        {{"Content-Type", "text/plain;charset=UTF-8"}}, body);
  }
  HttpResult get() const { return http_get(port, polling(sid)); }
  void connect() {
    EXPECT_EQ(post("40").body, "ok");
    const auto answer = get();
    EXPECT_EQ(answer.body.rfind("40{", 0), 0u) << answer.body;
    id = payload(answer.body, 2).at("sid").get<std::string>();
  }
};

TEST(SocketioEndpoint, OldAndUnknownProtocolVersionsAreRefused) {
  TestServer server;
  for (const char* target : {"/socket.io/?EIO=3&transport=polling", "/socket.io/?transport=polling",
                             "/socket.io/?EIO=3&transport=websocket"}) {
    const auto answer = http_get(server.port(), target);
    EXPECT_EQ(answer.status, 400u) << target;
    EXPECT_EQ(json::parse(answer.body),
              (json{{"code", 5}, {"message", "Unsupported protocol version"}}))
        << target;
  }
  const auto unknown = http_get(server.port(), polling("nope"));
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_EQ(json::parse(unknown.body).at("code"), 1);
}

TEST(SocketioEndpoint, LongPollingSessionJoinsAndMeetsANativePeer) {
  TestServer server;
  PollingPeer sio = PollingPeer::open(server.port());
  sio.connect();

  auto native = connect_peer(server.port());
  native->join("mixed");
  ASSERT_EQ(sio.post(R"(42["join","mixed"])").body, "ok");
  EXPECT_EQ(sio.get().body, R"(42["joined","mixed",")" + sio.id + R"("])");
  const json joined = native->recv_type("peer-joined");
  EXPECT_EQ(joined.at("id"), sio.id);

  native->send({{"type", "offer"}, {"sdp", "v=0"}});
  EXPECT_EQ(sio.get().body, R"(42["message","mixed",{"sdp":"v=0","type":"offer"}])");
  ASSERT_EQ(sio.post(R"(42["message","mixed",{"type":"answer","sdp":"v=1"}])").body, "ok");
  EXPECT_EQ(native->recv_type("answer"),
            (json{{"type", "answer"}, {"sdp", "v=1"}, {"from", sio.id}}));

  // The close packet ends the session: the native peer hears of it at once.
  ASSERT_EQ(sio.post("1").body, "ok");
  const json left = native->recv_type("peer-left");
  EXPECT_EQ(left.at("id"), sio.id);
  EXPECT_EQ(left.at("reason"), "disconnect");
  EXPECT_EQ(sio.get().status, 400u);
}

TEST(SocketioEndpoint, WebSocketFromTheStart) {
  TestServer server;
  WsClient client(server.port(), websocket());
  const std::string open = client.recv_text();
  ASSERT_EQ(open.front(), '0');
  EXPECT_EQ(payload(open, 1).at("upgrades"), json::array());
  client.send_text("40");
  const std::string connect = client.recv_text();
  ASSERT_EQ(connect.rfind("40{", 0), 0u) << connect;
  const std::string id = payload(connect, 2).at("sid").get<std::string>();
  client.send_text(R"(42["join","ws-room"])");
  EXPECT_EQ(client.recv_text(), R"(42["joined","ws-room",")" + id + R"("])");
  EXPECT_EQ(server.server().directory().room_of(id), "ws-room");
  client.send_text("42[");  // malformed: this client is closed
  EXPECT_EQ(client.expect_close(), 1002u);
  EXPECT_TRUE(TestServer::eventually([&] { return !server.server().directory().room_of(id); }));
}

TEST(SocketioEndpoint, UpgradeFromLongPollingToWebSocket) {
  TestServer server;
  PollingPeer sio = PollingPeer::open(server.port());
  sio.connect();

  WsClient probe(server.port(), websocket(sio.sid));
  // A GET held while the probe runs is answered with a noop, so that the
  // client can pause polling.
  auto held = std::async(std::launch::async, [&] { return sio.get(); });
  probe.send_text("2probe");
  EXPECT_EQ(probe.recv_text(), "3probe");
  EXPECT_EQ(held.get().body, "6");
  probe.send_text("5");
  probe.send_text(R"(42["join","upgraded"])");
  EXPECT_EQ(probe.recv_text(), R"(42["joined","upgraded",")" + sio.id + R"("])");
  EXPECT_EQ(sio.get().status, 400u);  // polling is over for this session
  EXPECT_EQ(server.server().directory().room_of(sio.id), "upgraded");
}

TEST(SocketioEndpoint, ConnectionGaugeCountsPollingSessions) {
  TestServer server;
  const double before = metric_value(server.admin_port(), "parley_connections");
  PollingPeer sio = PollingPeer::open(server.port());
  EXPECT_EQ(metric_value(server.admin_port(), "parley_connections"), before + 1);
  ASSERT_EQ(sio.post("1").body, "ok");
  EXPECT_TRUE(TestServer::eventually(
      [&] { return metric_value(server.admin_port(), "parley_connections") == before; }));
}

// A client that upgrades from long-polling to WebSocket is one connection, in
// parley_connections_total as in the gauge; a WebSocket-only client is another.
TEST(SocketioEndpoint, AnUpgradedSessionCountsOnceInConnectionsTotal) {
  TestServer server;
  const auto total = [&] { return metric_value(server.admin_port(), "parley_connections_total"); };
  const auto open = [&] { return metric_value(server.admin_port(), "parley_connections"); };
  PollingPeer sio = PollingPeer::open(server.port());
  sio.connect();
  EXPECT_EQ(total(), 1);
  {
    WsClient probe(server.port(), websocket(sio.sid));
    auto held = std::async(std::launch::async, [&] { return sio.get(); });
    probe.send_text("2probe");
    EXPECT_EQ(probe.recv_text(), "3probe");
    EXPECT_EQ(held.get().body, "6");
    probe.send_text("5");
    probe.send_text(R"(42["join","counted"])");
    EXPECT_EQ(probe.recv_text(), R"(42["joined","counted",")" + sio.id + R"("])");
    EXPECT_EQ(total(), 1);
    EXPECT_EQ(open(), 1);

    WsClient direct(server.port(), websocket());
    EXPECT_EQ(direct.recv_text().front(), '0');  // the open packet
    EXPECT_EQ(total(), 2);
    EXPECT_EQ(open(), 2);
  }
  EXPECT_TRUE(TestServer::eventually([&] { return open() == 0; }));
  EXPECT_EQ(total(), 2);
}

TEST(SocketioEndpoint, DrainAnswersAHeldGetWithClose) {
  TestServer server;
  PollingPeer sio = PollingPeer::open(server.port());
  sio.connect();
  ASSERT_EQ(sio.post(R"(42["join","drained"])").body, "ok");
  ASSERT_EQ(sio.get().body.rfind("42[\"joined\"", 0), 0u);
  WsClient ws(server.port(), websocket());
  ASSERT_EQ(ws.recv_text().front(), '0');

  auto held = std::async(std::launch::async, [&] {
    try {
      return sio.get();
    } catch (const std::exception&) {
      return HttpResult{};  // the listener was closed before the GET arrived
    }
  });
  // The drain does not wait for the GET to arrive: either way the client learns
  // of the close (a held GET gets `1`; a late one finds no session, or no listener).
  server.server().shutdown();
  const auto answer = held.get();
  EXPECT_TRUE(answer.body == "1" || answer.status == 400u || answer.status == 0u)
      << answer.status << answer.body;
  EXPECT_EQ(ws.expect_close(), 1001u);
}

}  // namespace
}  // namespace parley::test
