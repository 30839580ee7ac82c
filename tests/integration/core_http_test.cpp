// The public listener's plain HTTP: health, readiness, static files (safe
// against traversal), the strict WebSocket handshake, ICE servers in `joined`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness.hpp"
#include "policy/turn.hpp"

namespace parley::test {
namespace {

namespace fs = std::filesystem;
namespace http = boost::beast::http;

class StaticFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("parley-static-" + std::to_string(::getpid()));
    fs::create_directories(root / "web" / "sub");
    std::ofstream(root / "web" / "index.html") << "<!doctype html><title>demo</title>";
    std::ofstream(root / "web" / "app.js") << "export {}";
    std::ofstream(root / "web" / "sub" / "style.css") << "body{}";
    std::ofstream(root / "secret.txt") << "top secret";
    config.static_dir = (root / "web").string();
  }
  void TearDown() override { fs::remove_all(root); }

  fs::path root;
  Config config = test_config();
};

TEST_F(StaticFiles, ServesFilesWithContentTypes) {
  TestServer server(config);
  auto index = http_get(server.port(), "/");
  EXPECT_EQ(index.status, 200u);
  EXPECT_NE(index.body.find("<title>demo</title>"), std::string::npos);
  EXPECT_EQ(index.headers[http::field::content_type].substr(0, 9), "text/html");
  auto js = http_get(server.port(), "/app.js?v=3");
  EXPECT_EQ(js.status, 200u);
  EXPECT_EQ(js.headers[http::field::content_type].substr(0, 15), "text/javascript");
  EXPECT_EQ(http_get(server.port(), "/sub/style.css").headers[http::field::content_type].substr(0, 8),
            "text/css");
  EXPECT_EQ(http_get(server.port(), "/missing.html").status, 404u);
}

TEST_F(StaticFiles, NeverServesAFileOutsideTheDirectory) {
  TestServer server(config);
  for (const char* target :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/sub/../../secret.txt", "/%2E%2E%2Fsecret.txt",
        "/..%2fsecret.txt", "/sub%2f..%2f..%2fsecret.txt", "/app.js%00.html", "/..\\secret.txt",
        "/%5c..%5csecret.txt"}) {
    auto res = http_get(server.port(), target);
    EXPECT_TRUE(res.status == 400u || res.status == 404u) << target << " -> " << res.status;
    EXPECT_EQ(res.body.find("top secret"), std::string::npos) << target;
  }
}

TEST_F(StaticFiles, MissingDirectoryServesNothing) {
  config.static_dir = (root / "does-not-exist").string();
  TestServer server(config);
  EXPECT_EQ(http_get(server.port(), "/").status, 404u);
  EXPECT_EQ(http_get(server.port(), "/healthz").status, 200u);
}

TEST(CoreHttp, HealthAndReadiness) {
  TestServer server;
  auto health = http_get(server.port(), "/healthz");
  EXPECT_EQ(health.status, 200u);
  EXPECT_EQ(health.body, "ok\n");
  EXPECT_EQ(http_get(server.port(), "/readyz").status, 200u);
  EXPECT_EQ(http_get(server.port(), "/nothing-here").status, 404u);
}

TEST(CoreHttp, WebSocketHandshakeIsCheckedStrictly) {
  TestServer server;
  const std::vector<std::pair<std::string, std::string>> good{
      {"Upgrade", "websocket"},
      {"Connection", "Upgrade"},
      {"Sec-WebSocket-Version", "13"},
      {"Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="}};
  auto without = [&](const std::string& name) {
    auto h = good;
    std::erase_if(h, [&](const auto& kv) { return kv.first == name; });
    return h;
  };
  auto with = [&](const std::string& name, const std::string& value) {
    auto h = without(name);
    h.emplace_back(name, value);
    return h;
  };
  // Not an upgrade at all.
  auto plain = http_get(server.port(), "/ws");
  EXPECT_GE(plain.status, 400u);
  EXPECT_LT(plain.status, 500u);
  auto v12 = http_get(server.port(), "/ws", with("Sec-WebSocket-Version", "12"));
  EXPECT_EQ(v12.status, 426u);
  EXPECT_EQ(v12.headers["Sec-WebSocket-Version"], "13");
  for (const auto& headers :
       {without("Sec-WebSocket-Key"), with("Sec-WebSocket-Key", "c2hvcnQ="),
        with("Sec-WebSocket-Key", "not base64 at all!!!!!=="),
        with("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ"), without("Connection"),
        with("Connection", "keep-alive"), with("Upgrade", "h2c")}) {
    auto res = http_get(server.port(), "/ws", headers);
    EXPECT_GE(res.status, 400u);
    EXPECT_LT(res.status, 500u);
  }
  auto post = http_request(server.port(), http::verb::post, "/ws", good);
  EXPECT_GE(post.status, 400u);
  EXPECT_LT(post.status, 500u);
  // And no extension is negotiated.
  WsClient client(server.port(), "/ws", {{"Sec-WebSocket-Extensions", "permessage-deflate"}});
  client.read_welcome();
}

TEST(CoreHttp, JoinedCarriesIceServersAndTurnCredentials) {
  Config config = test_config();
  config.ice_servers = json::array({{{"urls", "stun:stun.example.org:3478"}}});
  config.turn.urls = {"turn:turn.example.org:3478?transport=udp"};
  config.turn.secret = "s3cret";
  config.turn.ttl = 600;
  TestServer server(config);
  auto c = connect_peer(server.port());
  const auto before = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  json joined = c->join("ice");
  const json& servers = joined["iceServers"];
  ASSERT_EQ(servers.size(), 2u);
  EXPECT_EQ(servers[0], json({{"urls", "stun:stun.example.org:3478"}}));
  const json& turn = servers[1];
  EXPECT_EQ(turn["urls"], json::array({"turn:turn.example.org:3478?transport=udp"}));
  const std::string username = turn["username"];
  const auto colon = username.find(':');
  ASSERT_NE(colon, std::string::npos);
  EXPECT_EQ(username.substr(colon + 1), c->id());
  const long expiry = std::stol(username.substr(0, colon));
  EXPECT_GE(expiry, before + 600);
  EXPECT_LE(expiry, before + 602);
  EXPECT_EQ(turn["credential"], make_turn_credential("s3cret", c->id(), expiry).credential);
}

}  // namespace
}  // namespace parley::test
