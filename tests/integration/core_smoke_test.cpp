#include <gtest/gtest.h>

#include "harness.hpp"

namespace parley::test {
namespace {

TEST(CoreSmoke, TwoPeersJoinAndRelayAnOffer) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  EXPECT_EQ(a->join("smoke")["peers"], json::array());
  EXPECT_EQ(b->join("smoke")["peers"], json::array({a->id()}));
  EXPECT_EQ(a->recv()["type"], "peer-joined");
  a->send({{"type", "offer"}, {"sdp", "v=0"}});
  json offer = b->recv();
  EXPECT_EQ(offer["type"], "offer");
  EXPECT_EQ(offer["from"], a->id());
}

}  // namespace
}  // namespace parley::test
