// The admin listener: metrics that follow real activity, the room/peer API and
// its bearer-token auth, and live reload (SIGHUP and POST /admin/reload).
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <regex>

#include "harness.hpp"

namespace parley::test {
namespace {

namespace http = boost::beast::http;

const std::vector<std::pair<std::string, std::string>> kAuth{
    {"Authorization", "Bearer test-admin-token"}};

// The value of one sample line of the exposition, e.g. `parley_rooms` or
// `parley_errors_total{code="bad-json"}`.
double metric(const std::string& exposition, const std::string& sample) {
  std::istringstream lines(exposition);
  for (std::string line; std::getline(lines, line);)
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  ADD_FAILURE() << "no sample " << sample;
  return -1;
}

TEST(AdminApi, MetricsFollowActivity) {
  TestServer server;
  auto m = [&] { return http_get(server.admin_port(), "/metrics").body; };
  const auto before = m();
  EXPECT_EQ(metric(before, "parley_connections"), 0);
  EXPECT_EQ(metric(before, "parley_rooms"), 0);
  EXPECT_EQ(metric(before, "parley_peers"), 0);
  for (const char* name :
       {"parley_bytes_received_total", "parley_bytes_sent_total",
        "parley_slow_consumer_closes_total", "parley_process_open_fds",
        "parley_process_resident_memory_bytes", "parley_relay_latency_seconds_count"})
    EXPECT_GE(metric(before, name), 0) << name;
  EXPECT_NE(before.find("parley_build_info{version="), std::string::npos);

  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("metrics");
  b->join("metrics");
  a->recv_type("peer-joined");
  a->send({{"type", "offer"}, {"sdp", "x"}});
  a->send({{"type", "candidate"}, {"candidate", nullptr}});
  a->send({{"type", "candidate"}, {"candidate", nullptr}});
  b->recv();
  b->recv();
  b->recv();
  b->send_text("{");
  b->recv();
  const auto during = m();
  EXPECT_EQ(metric(during, "parley_connections"), 2);
  EXPECT_EQ(metric(during, "parley_rooms"), 1);
  EXPECT_EQ(metric(during, "parley_peers"), 2);
  EXPECT_EQ(metric(during, "parley_messages_relayed_total{type=\"offer\"}"), 1);
  EXPECT_EQ(metric(during, "parley_messages_relayed_total{type=\"candidate\"}"), 2);
  EXPECT_EQ(metric(during, "parley_errors_total{code=\"bad-json\"}"), 1);
  EXPECT_EQ(metric(during, "parley_relay_latency_seconds_count"), 3);
  EXPECT_GT(metric(during, "parley_bytes_received_total"), 0);
  EXPECT_GT(metric(during, "parley_bytes_sent_total"), 0);

  a->close();
  b->close();
  EXPECT_TRUE(TestServer::eventually([&] {
    const auto after = m();
    return metric(after, "parley_connections") == 0 && metric(after, "parley_rooms") == 0;
  }));
}

TEST(AdminApi, AuthIs401WithAWrongTokenAnd403WithoutAConfiguredOne) {
  TestServer server;
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms").status, 401u);
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms", {{"Authorization", "Bearer nope"}}).status,
            401u);
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms",
                     {{"Authorization", "Bearer test-admin-token-and-more"}})
                .status,
            401u);
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms", kAuth).status, 200u);

  Config open = test_config();
  open.admin.token = "";
  TestServer unconfigured(open);
  EXPECT_EQ(http_get(unconfigured.admin_port(), "/admin/rooms", kAuth).status, 403u);
  EXPECT_EQ(http_request(unconfigured.admin_port(), http::verb::delete_, "/admin/peers/x", kAuth)
                .status,
            403u);
  // Metrics need no token.
  EXPECT_EQ(http_get(unconfigured.admin_port(), "/metrics").status, 200u);
}

TEST(AdminApi, RoomsListAndLookupWithPercentDecodedNames) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("team/alpha beta");
  b->join("team/alpha beta");
  auto list = http_get(server.admin_port(), "/admin/rooms", kAuth);
  ASSERT_EQ(list.status, 200u);
  json rooms = json::parse(list.body);
  ASSERT_EQ(rooms.size(), 1u);
  EXPECT_EQ(rooms[0]["room"], "team/alpha beta");
  EXPECT_EQ(rooms[0]["peers"], json::array({a->id(), b->id()}));
  EXPECT_TRUE(rooms[0]["created"].is_number());

  auto one = http_get(server.admin_port(), "/admin/rooms/team%2Falpha%20beta", kAuth);
  ASSERT_EQ(one.status, 200u);
  EXPECT_EQ(json::parse(one.body)["peers"].size(), 2u);
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms/team/alpha%20beta", kAuth).status, 404u);
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms/absent", kAuth).status, 404u);
}

TEST(AdminApi, DeleteRoomKicksEveryPeer) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("doomed");
  b->join("doomed");
  a->recv_type("peer-joined");
  auto res = http_request(server.admin_port(), http::verb::delete_, "/admin/rooms/doomed", kAuth);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(a->recv(), json({{"type", "left"}, {"room", "doomed"}, {"reason", "kicked"}}));
  EXPECT_EQ(b->recv(), json({{"type", "left"}, {"room", "doomed"}, {"reason", "kicked"}}));
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms/doomed", kAuth).status, 404u);
  // The connections stay open and may join again.
  EXPECT_EQ(a->join("doomed")["peers"], json::array());
  EXPECT_EQ(http_request(server.admin_port(), http::verb::delete_, "/admin/rooms/none", kAuth).status,
            404u);
}

TEST(AdminApi, DeletePeerKicksItAndTellsTheOthers) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("k");
  b->join("k");
  a->recv_type("peer-joined");
  auto res =
      http_request(server.admin_port(), http::verb::delete_, "/admin/peers/" + b->id(), kAuth);
  EXPECT_EQ(res.status, 200u);
  EXPECT_EQ(b->recv(), json({{"type", "left"}, {"room", "k"}, {"reason", "kicked"}}));
  EXPECT_EQ(a->recv(),
            json({{"type", "peer-left"}, {"room", "k"}, {"id", b->id()}, {"reason", "kicked"}}));
  EXPECT_EQ(
      http_request(server.admin_port(), http::verb::delete_, "/admin/peers/" + b->id(), kAuth).status,
      404u);
}

TEST(AdminApi, ReloadAppliesAGoodFileToNewJoinsAndKeepsConnections) {
  const std::string path = write_temp_file(R"({"limits": {"max_peers_per_room": 2}})");
  auto source = [path] {
    Config c = load_config(path, {});
    Config t = test_config();
    c.listen = t.listen;
    c.admin = t.admin;
    c.static_dir = t.static_dir;
    c.log = t.log;
    return c;
  };
  TestServer server(source(), source);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("grow");
  b->join("grow");
  auto c = connect_peer(server.port());
  c->send({{"type", "join"}, {"room", "grow"}});
  EXPECT_EQ(c->recv()["type"], "full");

  std::ofstream(path) << R"({"limits": {"max_peers_per_room": 3}})";
  EXPECT_EQ(http_request(server.admin_port(), http::verb::post, "/admin/reload", kAuth).status, 200u);
  EXPECT_EQ(c->join("grow")["peers"].size(), 2u);

  // A broken file changes nothing.
  std::ofstream(path) << R"({"limits": {"max_peers_per_room": "lots"}})";
  EXPECT_EQ(http_request(server.admin_port(), http::verb::post, "/admin/reload", kAuth).status, 500u);
  auto d = connect_peer(server.port());
  d->send({{"type", "join"}, {"room", "grow"}});
  EXPECT_EQ(d->recv()["type"], "full");
  // Old connections still work.
  a->send({{"type", "ping"}});
  EXPECT_EQ(a->recv_type("pong")["type"], "pong");
}

TEST(AdminApi, SighupReloadsTheFileWithoutDroppingConnections) {
  const std::string path = write_temp_file(
      R"({"listen": {"address": "127.0.0.1", "port": 0}, "admin": {"port": 0}, "static_dir": "",
          "limits": {"max_peers_per_room": 1}})");
  DaemonProcess daemon({"--config", path});
  auto a = connect_peer(daemon.port());
  a->join("solo");
  auto b = connect_peer(daemon.port());
  b->send({{"type", "join"}, {"room", "solo"}});
  EXPECT_EQ(b->recv()["type"], "full");

  std::ofstream(path) << R"({"listen": {"address": "127.0.0.1", "port": 0}, "admin": {"port": 0},
                             "static_dir": "", "limits": {"max_peers_per_room": 2}})";
  daemon.signal(SIGHUP);
  EXPECT_TRUE(TestServer::eventually(
      [&] { return daemon.log().find("configuration reloaded") != std::string::npos; }));
  EXPECT_EQ(b->join("solo")["peers"], json::array({a->id()}));

  std::ofstream(path) << "{ not json";
  daemon.signal(SIGHUP);
  EXPECT_TRUE(TestServer::eventually(
      [&] { return daemon.log().find("reload failed") != std::string::npos; }));
  a->send({{"type", "ping"}});
  EXPECT_EQ(a->recv_type("pong")["type"], "pong");
  daemon.signal(SIGTERM);
  EXPECT_EQ(daemon.wait_exit(5s), 0);
}

}  // namespace
}  // namespace parley::test
