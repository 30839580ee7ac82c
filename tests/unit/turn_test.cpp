#include "policy/turn.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

// Expected credentials computed independently:
//   printf '%s' '1700000000:peerA' | openssl dgst -sha1 -mac HMAC -macopt key:north -binary
//     | openssl base64 -A
TEST(Turn, CredentialMatchesKnownAnswer) {
  const TurnCredential turn = make_turn_credential("north", "peerA", 1'700'000'000);
  EXPECT_EQ(turn.username, "1700000000:peerA");
  EXPECT_EQ(turn.credential, "lERoVosZqH9mm9y1PfB76zDyNLc=");
}

TEST(Turn, CredentialDependsOnSecretAndUsername) {
  const auto base = make_turn_credential("north", "peerA", 1'700'000'000);
  EXPECT_NE(make_turn_credential("south", "peerA", 1'700'000'000).credential, base.credential);
  EXPECT_NE(make_turn_credential("north", "peerB", 1'700'000'000).credential, base.credential);
  EXPECT_NE(make_turn_credential("north", "peerA", 1'700'000'001).credential, base.credential);
}

Config config_with_turn() {
  Config config;
  config.ice_servers = nlohmann::json::array(
      {{{"urls", "stun:stun.example.org:3478"}},
       {{"urls", {"turn:a.example.org"}}, {"username", "u"}, {"credential", "c"}}});
  config.turn.urls = {"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"};
  config.turn.secret = "north";
  config.turn.ttl = 86399.9;
  return config;
}

TEST(Turn, IceServersAppendTurnEntryAfterConfiguredOnes) {
  const Config config = config_with_turn();
  const nlohmann::json servers = ice_servers_for(config, "peerA", 1'699'913'600);
  ASSERT_TRUE(servers.is_array());
  ASSERT_EQ(servers.size(), 3u);
  EXPECT_EQ(servers[0], config.ice_servers[0]);
  EXPECT_EQ(servers[1], config.ice_servers[1]);
  const nlohmann::json expected = {
      {"urls", {"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349"}},
      // 1699913600 + floor(86399.9) = 1699999999
      {"username", "1699999999:peerA"},
      {"credential", make_turn_credential("north", "peerA", 1'699'999'999).credential}};
  EXPECT_EQ(servers[2], expected);
}

TEST(Turn, ExpiryUsesWholeTtl) {
  Config config = config_with_turn();
  config.turn.ttl = 86400;
  // 1699913600 + 86400 = 1700000000: the known-answer vector above.
  const nlohmann::json servers = ice_servers_for(config, "peerA", 1'699'913'600);
  EXPECT_EQ(servers.back()["username"], "1700000000:peerA");
  EXPECT_EQ(servers.back()["credential"], "lERoVosZqH9mm9y1PfB76zDyNLc=");
}

TEST(Turn, NoTurnEntryWithoutSecretOrUrls) {
  Config no_secret = config_with_turn();
  no_secret.turn.secret.clear();
  EXPECT_EQ(ice_servers_for(no_secret, "peerA", 0), no_secret.ice_servers);

  Config no_urls = config_with_turn();
  no_urls.turn.urls.clear();
  EXPECT_EQ(ice_servers_for(no_urls, "peerA", 0), no_urls.ice_servers);
}

TEST(Turn, DefaultConfigGivesAnEmptyArray) {
  const nlohmann::json servers = ice_servers_for(Config{}, "peerA", 0);
  EXPECT_TRUE(servers.is_array());
  EXPECT_TRUE(servers.empty());
}

}  // namespace
}  // namespace parley
