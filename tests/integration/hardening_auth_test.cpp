// JWT auth (auth.jwt_secret): `join` needs an HS256 token with a future `exp`
// and a `room` claim naming the room or "*". Everything else is
// `unauthorized` (or `bad-message` for a token that is not a string), the
// connection stays usable, and neither tokens nor the secret reach the log.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "base/ids.hpp"
#include "policy/jwt.hpp"

namespace parley::test {
namespace {

const std::string kSecret = "hardening-test-secret-0123456789";

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string token_for(const json& room, std::int64_t exp_from_now = 600,
                      const std::string& secret = kSecret, const std::string& alg = "HS256") {
  return sign_join_token_for_tests(secret, {{"room", room}, {"exp", unix_now() + exp_from_now}},
                                   alg);
}

Config auth_config() {
  Config config = test_config();
  config.auth.jwt_secret = kSecret;
  return config;
}

// Sends a join of `room` carrying `token` (a JSON value: absent when null)
// and returns the answer.
json try_join(WsClient& client, const std::string& room, const json& token, int rid) {
  json join = {{"type", "join"}, {"room", room}, {"rid", rid}};
  if (!token.is_null()) join["token"] = token;
  client.send(join);
  return client.recv();
}

void expect_code(const json& answer, const std::string& code, int rid) {
  EXPECT_EQ(answer["type"], "error") << answer;
  EXPECT_EQ(answer["code"], code) << answer;
  EXPECT_EQ(answer["rid"], rid) << answer;
}

TEST(HardeningAuth, ValidTokensJoinTheirRoomOrAnyRoomWithStar) {
  TestServer server(auth_config());
  auto a = connect_peer(server.port());
  EXPECT_EQ(try_join(*a, "calls/42", token_for("calls/42"), 1)["type"], "joined");
  auto b = connect_peer(server.port());
  EXPECT_EQ(try_join(*b, "calls/42", token_for("*"), 2)["type"], "joined");
}

TEST(HardeningAuth, EveryBadTokenIsUnauthorizedAndTheConnectionStaysUsable) {
  TestServer server(auth_config());
  auto c = connect_peer(server.port());
  const std::string room = "secure";
  const std::string good = token_for(room);
  const auto dot = good.rfind('.');
  std::string flipped = good;
  flipped[dot + 1] = flipped[dot + 1] == 'A' ? 'B' : 'A';
  const std::string header = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  auto unsigned_token = [&](const json& payload) {
    // Correctly signed claims that lack something.
    return sign_join_token_for_tests(kSecret, payload);
  };
  const std::vector<std::pair<std::string, json>> refused{
      {"missing", nullptr},
      {"empty", ""},
      {"not a JWT", "hello"},
      {"two parts", good.substr(0, dot)},
      {"four parts", good + ".x"},
      {"signature of another secret", token_for(room, 600, "another-secret")},
      {"one flipped signature character", flipped},
      {"signature cut short", good.substr(0, good.size() - 2)},
      {"expired", token_for(room, -1)},
      {"expires now (no leeway)", token_for(room, 0)},
      {"another room", token_for("other")},
      {"room claim is a prefix", token_for("sec")},
      {"room claim not a string", token_for(json::array({room}))},
      {"no exp", unsigned_token({{"room", room}})},
      {"exp a string", unsigned_token({{"room", room}, {"exp", "9999999999"}})},
      {"no room claim", unsigned_token({{"exp", unix_now() + 600}})},
      {"alg none", token_for(room, 600, kSecret, "none")},
      {"alg HS512 (signed with HS256 anyway)", token_for(room, 600, kSecret, "HS512")},
      {"alg RS256", token_for(room, 600, kSecret, "RS256")},
      {"alg hs256 (case)", token_for(room, 600, kSecret, "hs256")},
      {"header not JSON", base64url_encode("{nope") + good.substr(good.find('.'))},
      {"padding", good + "="},
      {"standard base64 alphabet", header + "+/." + good.substr(good.find('.') + 1)},
      {"huge", std::string(60000, 'A') + "." + std::string(10, 'B') + ".C"},
  };
  int rid = 0;
  for (const auto& [what, token] : refused) {
    SCOPED_TRACE(what);
    ++rid;
    expect_code(try_join(*c, room, token, rid), "unauthorized", rid);
  }
  for (const json& not_a_string : {json(42), json::object(), json::array(), json(true)}) {
    SCOPED_TRACE(not_a_string.dump());
    json join = {{"type", "join"}, {"room", room}, {"token", not_a_string}, {"rid", ++rid}};
    c->send(join);
    expect_code(c->recv(), "bad-message", rid);
  }
  // Still the same connection, in no room, and a good token works now.
  ++rid;
  EXPECT_EQ(try_join(*c, room, good, rid)["type"], "joined");
  EXPECT_EQ(metric_value(server.admin_port(), "parley_errors_total{code=\"unauthorized\"}"),
            static_cast<double>(refused.size()));
}

TEST(HardeningAuth, WithoutASecretTokensAreIgnored) {
  TestServer server;
  auto c = connect_peer(server.port());
  EXPECT_EQ(try_join(*c, "open", "whatever", 1)["type"], "joined");
}

TEST(HardeningAuth, NeitherTokensNorTheSecretAreLogged) {
  DaemonProcess daemon({"--address", "127.0.0.1", "--port", "0"},
                       {{"PARLEY_ADMIN_PORT", "0"},
                        {"PARLEY_STATIC_DIR", ""},
                        {"PARLEY_LOG_LEVEL", "trace"},
                        {"PARLEY_AUTH_JWT_SECRET", kSecret}});
  const std::string good = token_for("logged");
  const std::string bad = token_for("logged", 600, "forged-secret");
  auto c = connect_peer(daemon.port());
  expect_code(try_join(*c, "logged", bad, 1), "unauthorized", 1);
  EXPECT_EQ(try_join(*c, "logged", good, 2)["type"], "joined");
  c->close();
  const std::string log = daemon.log();
  EXPECT_NE(log.find("listening"), std::string::npos);  // the log was captured
  for (const std::string& secret : {good, bad, kSecret}) {
    EXPECT_EQ(log.find(secret), std::string::npos);
    // Not even the signature alone.
    EXPECT_EQ(log.find(secret.substr(secret.rfind('.') + 1)), std::string::npos);
  }
  // Nor the resume tokens, which are bearer secrets too.
  EXPECT_EQ(log.find(c->resume_token()), std::string::npos);
}

}  // namespace
}  // namespace parley::test
