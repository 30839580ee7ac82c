// heartbeat.ping_interval / ping_timeout: the server pings every connection;
// one from which nothing arrives for ping_timeout is dropped as lost (it keeps
// its seat for resume.grace, then the room hears `peer-left` `timeout`), while
// a client that only answers pings stays connected however quiet it is.
#include <gtest/gtest.h>

#include "harness.hpp"

namespace parley::test {
namespace {

Config quick_heartbeat_config() {
  Config config = test_config();
  config.heartbeat.ping_interval = 0.2;
  config.heartbeat.ping_timeout = 0.6;
  config.resume.grace = 0.3;
  return config;
}

TEST(HardeningHeartbeat, ASilentPeerIsDroppedAndTheRoomHearsTimeout) {
  TestServer server(quick_heartbeat_config());
  auto listener = connect_peer(server.port());
  listener->join("heartbeat");
  RawClient silent(server.port());
  std::string got = silent.upgrade();
  silent.write(make_frame(0x81, R"({"type":"join","room":"heartbeat"})"));
  const std::string silent_id = listener->recv_type("peer-joined")["id"];
  // The listener keeps reading (its client answers the server's pings); the
  // silent one answers none and is dropped, then its grace runs out.
  json left = listener->recv_type("peer-left", 15s);
  EXPECT_EQ(left["id"], silent_id);
  EXPECT_EQ(left["reason"], "timeout");
  // The silent connection was pinged and then closed by the server.
  got += silent.read_until_eof(10s);
  bool pinged = false;
  // Server frames are unmasked: a 7-bit length, or 126 and a 16-bit one (the
  // `joined` frame, with its `meta`, passes 125 bytes); nothing here needs 64 bits.
  for (std::size_t pos = 0; pos + 1 < got.size();) {
    const auto opcode = static_cast<unsigned char>(got[pos]) & 0x0F;
    std::size_t length = static_cast<unsigned char>(got[pos + 1]) & 0x7F;
    std::size_t header = 2;
    if (length == 126) {
      if (pos + 4 > got.size()) break;
      length = (std::size_t{static_cast<unsigned char>(got[pos + 2])} << 8) |
               static_cast<unsigned char>(got[pos + 3]);
      header = 4;
    } else if (length == 127) {
      break;
    }
    if (opcode == 0x9) pinged = true;
    pos += header + length;
  }
  EXPECT_TRUE(pinged);
  // The listener, quiet all along except for its pongs, is still connected.
  listener->send({{"type", "ping"}, {"rid", "alive"}});
  EXPECT_EQ(listener->recv()["rid"], "alive");
}

TEST(HardeningHeartbeat, ADroppedPeerCanResumeWithinTheGrace) {
  Config config = quick_heartbeat_config();
  config.resume.grace = 30;
  TestServer server(config);
  auto listener = connect_peer(server.port());
  listener->join("heartbeat");
  RawClient silent(server.port());
  std::string got = silent.upgrade();
  silent.write(make_frame(0x81, R"({"type":"join","room":"heartbeat"})"));
  listener->recv_type("peer-joined");
  // Wait for the ping timeout to drop the silent one; the listener keeps
  // talking meanwhile (its client answers pings only while it reads).
  EXPECT_TRUE(TestServer::eventually(
      [&] {
        listener->send({{"type", "ping"}});
        listener->recv_type("pong");
        return metric_value(server.admin_port(), "parley_connections") == 1;
      },
      10s));
  got += silent.read_until_eof(10s);
  // The first frame is the welcome (a flat object: its first '}' ends it).
  const auto welcome_start = got.find('{');
  const auto welcome_end = got.find('}');
  ASSERT_NE(welcome_end, std::string::npos);
  const json welcome = json::parse(got.substr(welcome_start, welcome_end - welcome_start + 1));
  auto back = connect_peer(server.port());
  back->send({{"type", "resume"}, {"token", welcome["resume"]}});
  json resumed = back->recv();
  EXPECT_EQ(resumed["type"], "resumed");
  EXPECT_EQ(resumed["id"], welcome["id"]);
  EXPECT_EQ(resumed["room"], "heartbeat");
  // The room was told nothing during the grace.
  listener->send({{"type", "ping"}, {"rid", "quiet"}});
  EXPECT_EQ(listener->recv()["rid"], "quiet");
}

}  // namespace
}  // namespace parley::test
