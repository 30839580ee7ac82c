// Peer metadata, watching a room and join-token grants over real sockets
// (integration-v1 "Peer metadata", "Watching a room", "Token grants", "New error
// codes"): every rule and error, and that a client using none of it sees
// protocol v1 with only the added `meta` members.
#include <gtest/gtest.h>

#include "harness.hpp"
#include "policy/jwt.hpp"

namespace parley::test {
namespace {

const std::string kSecret = "meta-watch-test-secret-0123456789";
const std::vector<std::pair<std::string, std::string>> kAdmin{
    {"Authorization", "Bearer test-admin-token"}};

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A signed token for `room` with extra claims.
std::string token_with(const std::string& room, json claims = json::object()) {
  claims["room"] = room;
  claims["exp"] = unix_now() + 600;
  return sign_join_token_for_tests(kSecret, claims);
}

Config auth_config() {
  Config config = test_config();
  config.auth.jwt_secret = kSecret;
  return config;
}

// Sends `message` with `rid` and returns the answer.
json ask(WsClient& client, json message, const json& rid) {
  message["rid"] = rid;
  client.send(message);
  return client.recv();
}

void expect_error(const json& answer, const std::string& code, const json& rid) {
  EXPECT_EQ(answer["type"], "error") << answer;
  EXPECT_EQ(answer["code"], code) << answer;
  EXPECT_EQ(answer["rid"], rid) << answer;
}

json join_with_meta(WsClient& client, const std::string& room, const json& meta) {
  client.send({{"type", "join"}, {"room", room}, {"meta", meta}});
  return client.recv_type("joined");
}

TEST(PeerMeta, JoinedAndPeerJoinedCarryMetadata) {
  Config config = test_config();
  config.limits.max_peers_per_room = 3;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  auto c = connect_peer(server.port());
  json ja = join_with_meta(*a, "names", {{"name", "Ada"}});
  EXPECT_EQ(ja["meta"], json::object());
  json jb = b->join("names");  // a protocol-v1 client: no meta
  EXPECT_EQ(jb["meta"], json({{a->id(), {{"name", "Ada"}}}}));
  EXPECT_EQ(
      a->recv(),
      json(
          {{"type", "peer-joined"}, {"room", "names"}, {"id", b->id()}, {"meta", json::object()}}));
  json jc = join_with_meta(*c, "names", {{"name", "Cy"}, {"avatar", "https://x/c.png"}});
  EXPECT_EQ(jc["meta"], json({{a->id(), {{"name", "Ada"}}}, {b->id(), json::object()}}));
  EXPECT_EQ(jc["peers"], json::array({a->id(), b->id()}));
  json pj = b->recv_type("peer-joined");
  EXPECT_EQ(pj["meta"], json({{"name", "Cy"}, {"avatar", "https://x/c.png"}}));

  // The admin API shows everyone's metadata.
  auto room = http_get(server.admin_port(), "/admin/rooms/names", kAdmin);
  ASSERT_EQ(room.status, 200u) << room.body;
  EXPECT_EQ(json::parse(room.body)["meta"],
            json({{a->id(), {{"name", "Ada"}}},
                  {b->id(), json::object()},
                  {c->id(), {{"name", "Cy"}, {"avatar", "https://x/c.png"}}}}));
  // A v1 client still gets welcome.version 1.
  auto d = std::make_unique<WsClient>(server.port());
  EXPECT_EQ(d->read_welcome()["version"], 1);
}

TEST(PeerMeta, MetaThatIsNotAnObjectOrTooLargeIsBadMessage) {
  Config config = test_config();
  config.limits.max_meta_bytes = 32;
  TestServer server(config);
  auto a = connect_peer(server.port());
  expect_error(ask(*a, {{"type", "join"}, {"room", "r"}, {"meta", "Ada"}}, 1), "bad-message", 1);
  expect_error(ask(*a, {{"type", "join"}, {"room", "r"}, {"meta", nullptr}}, 2), "bad-message", 2);
  // {"n":"<24 x>"} is 32 bytes: fits; 25 does not.
  expect_error(
      ask(*a, {{"type", "join"}, {"room", "r"}, {"meta", {{"n", std::string(25, 'x')}}}}, 3),
      "bad-message", 3);
  json joined =
      ask(*a, {{"type", "join"}, {"room", "r"}, {"meta", {{"n", std::string(24, 'x')}}}}, 4);
  EXPECT_EQ(joined["type"], "joined") << joined;
  expect_error(ask(*a, {{"type", "update-meta"}, {"meta", {{"n", std::string(25, 'x')}}}}, 5),
               "bad-message", 5);
  expect_error(ask(*a, {{"type", "update-meta"}}, 6), "bad-message", 6);
  expect_error(ask(*a, {{"type", "update-meta"}, {"meta", json::array()}}, 7), "bad-message", 7);
}

TEST(PeerMeta, UpdateMetaAnswersTheSenderAndTellsTheOthers) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  expect_error(ask(*a, {{"type", "update-meta"}, {"meta", {{"name", "Ada"}}}}, "u0"), "not-in-room",
               "u0");
  pair_up(*a, *b, "upd");
  json answer = ask(*a, {{"type", "update-meta"}, {"meta", {{"name", "Ada"}}}}, "u1");
  EXPECT_EQ(
      answer,
      json(
          {{"type", "meta-updated"}, {"room", "upd"}, {"meta", {{"name", "Ada"}}}, {"rid", "u1"}}));
  EXPECT_EQ(b->recv(), json({{"type", "peer-updated"},
                             {"room", "upd"},
                             {"id", a->id()},
                             {"meta", {{"name", "Ada"}}}}));
  // The sender hears nothing else of it.
  settle(*a);
  auto room = json::parse(http_get(server.admin_port(), "/admin/rooms/upd", kAdmin).body);
  EXPECT_EQ(room["meta"][a->id()], json({{"name", "Ada"}}));
  // After leave, the metadata is gone with the seat.
  a->send({{"type", "leave"}});
  a->recv_type("left");
  json again = a->join("upd");
  EXPECT_EQ(again["meta"], json({{b->id(), json::object()}}));
  EXPECT_EQ(b->recv_type("peer-joined")["meta"], json::object());
}

TEST(PeerMeta, ResumeKeepsTheMetadata) {
  Config config = test_config();
  config.resume.grace = 30;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  join_with_meta(*a, "keep", {{"name", "Ada"}});
  join_with_meta(*b, "keep", {{"name", "Bea"}});
  a->recv_type("peer-joined");
  const std::string token = b->resume_token();
  const std::string b_id = b->id();
  b->drop();
  ASSERT_TRUE(await_away(server));
  auto c = connect_peer(server.port());
  json resumed = ask(*c, {{"type", "resume"}, {"token", token}}, "r1");
  ASSERT_EQ(resumed["type"], "resumed") << resumed;
  EXPECT_EQ(resumed["meta"], json({{a->id(), {{"name", "Ada"}}}}));
  auto room = json::parse(http_get(server.admin_port(), "/admin/rooms/keep", kAdmin).body);
  EXPECT_EQ(room["meta"][b_id], json({{"name", "Bea"}}));
  // And the resumed peer can update it; the room hears it under the same id.
  ask(*c, {{"type", "update-meta"}, {"meta", {{"name", "Bea 2"}}}}, "u");
  json updated = a->recv_type("peer-updated");
  EXPECT_EQ(updated["id"], b_id);
}

TEST(TokenGrants, MetaClaimPinsTheMetadata) {
  TestServer server(auth_config());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  b->send({{"type", "join"}, {"room", "pin"}, {"token", token_with("pin")}});
  b->recv_type("joined");
  a->send({{"type", "join"},
           {"room", "pin"},
           {"meta", {{"name", "the CEO"}}},
           {"token", token_with("pin", {{"meta", {{"name", "Ada"}, {"role", "guest"}}}})}});
  a->recv_type("joined");
  // The token's claim is used, the client's own ignored.
  EXPECT_EQ(b->recv_type("peer-joined")["meta"], json({{"name", "Ada"}, {"role", "guest"}}));
  expect_error(ask(*a, {{"type", "update-meta"}, {"meta", {{"name", "the CEO"}}}}, 9), "forbidden",
               9);
  // The others are not pinned.
  EXPECT_EQ(ask(*b, {{"type", "update-meta"}, {"meta", {{"name", "Bea"}}}}, 10)["type"],
            "meta-updated");
  EXPECT_EQ(a->recv_type("peer-updated")["meta"], json({{"name", "Bea"}}));
}

TEST(TokenGrants, ClaimsOfTheWrongTypeOrRangeAreUnauthorized) {
  Config config = auth_config();
  config.limits.max_meta_bytes = 32;
  TestServer server(config);
  auto a = connect_peer(server.port());
  const std::vector<json> bad{
      {{"max_peers", 0}},        {{"max_peers", 1001}},
      {{"max_peers", 2.5}},      {{"max_peers", "4"}},
      {{"relay", "offer"}},      {{"relay", {"offer", "join"}}},
      {{"relay", {1}}},          {{"meta", "Ada"}},
      {{"meta", json::array()}}, {{"meta", {{"n", std::string(25, 'x')}}}},
  };
  int rid = 0;
  for (const auto& claims : bad) {
    ++rid;
    expect_error(
        ask(*a, {{"type", "join"}, {"room", "g"}, {"token", token_with("g", claims)}}, rid),
        "unauthorized", rid);
    expect_error(
        ask(*a, {{"type", "watch"}, {"room", "g"}, {"token", token_with("g", claims)}}, rid),
        "unauthorized", rid);
  }
  // The connection is fine, and good claims join.
  json joined = ask(*a,
                    {{"type", "join"},
                     {"room", "g"},
                     {"token", token_with("g", {{"max_peers", 1000},
                                                {"relay", json::array()},
                                                {"meta", {{"n", std::string(24, 'x')}}}})}},
                    "ok");
  EXPECT_EQ(joined["type"], "joined") << joined;
}

TEST(TokenGrants, MaxPeersSetsTheCapacityOfTheRoomTheJoinCreates) {
  TestServer server(auth_config());  // limits.max_peers_per_room: 2
  std::vector<std::unique_ptr<WsClient>> peers;
  for (int i = 0; i < 5; ++i) peers.push_back(connect_peer(server.port()));
  auto join = [&](int i, json claims) {
    return ask(*peers[i], {{"type", "join"}, {"room", "big"}, {"token", token_with("big", claims)}},
               i);
  };
  EXPECT_EQ(join(0, {{"max_peers", 4}})["type"], "joined");
  EXPECT_EQ(join(1, {{"max_peers", 1}})["type"], "joined");  // the room exists: ignored
  EXPECT_EQ(join(2, json::object())["type"], "joined");
  EXPECT_EQ(join(3, json::object())["type"], "joined");
  EXPECT_EQ(join(4, {{"max_peers", 10}})["type"], "full");
  // A room created without the grant has the configured capacity.
  auto x = connect_peer(server.port());
  auto y = connect_peer(server.port());
  auto z = connect_peer(server.port());
  for (auto* c : {x.get(), y.get()})
    EXPECT_EQ(
        ask(*c, {{"type", "join"}, {"room", "small"}, {"token", token_with("small")}}, 0)["type"],
        "joined");
  EXPECT_EQ(
      ask(*z, {{"type", "join"}, {"room", "small"}, {"token", token_with("small")}}, 0)["type"],
      "full");
}

TEST(TokenGrants, RelayGrantRefusesOtherTypesWithForbiddenAndDeliversNothing) {
  TestServer server(auth_config());
  auto caster = connect_peer(server.port());
  auto viewer = connect_peer(server.port());
  caster->send({{"type", "join"}, {"room", "show"}, {"token", token_with("show")}});
  caster->recv_type("joined");
  viewer->send({{"type", "join"},
                {"room", "show"},
                {"token", token_with("show", {{"relay", {"answer", "candidate"}}})}});
  viewer->recv_type("joined");
  caster->recv_type("peer-joined");

  // The broadcaster offers; the viewer answers and sends candidates.
  caster->send({{"type", "offer"}, {"sdp", "v=0 offer"}});
  EXPECT_EQ(viewer->recv()["sdp"], "v=0 offer");
  expect_error(ask(*viewer, {{"type", "offer"}, {"sdp", "v=0 mine"}}, "o"), "forbidden", "o");
  expect_error(ask(*viewer, {{"type", "message"}, {"data", "hi"}, {"to", caster->id()}}, "m"),
               "forbidden", "m");
  viewer->send({{"type", "answer"}, {"sdp", "v=0 answer"}});
  viewer->send({{"type", "candidate"}, {"candidate", nullptr}});
  // The refused ones reached no one: the answer is the next thing the caster sees.
  EXPECT_EQ(caster->recv()["type"], "answer");
  EXPECT_EQ(caster->recv()["type"], "candidate");
  // A forbidden relay without a rid is reported too.
  viewer->send({{"type", "offer"}, {"sdp", "again"}});
  json error = viewer->recv();
  EXPECT_EQ(error["code"], "forbidden");
  EXPECT_FALSE(error.contains("rid"));
}

TEST(WatchRoom, WatcherSeesWhoIsThereAndPresenceButNeverRelays) {
  TestServer server;
  auto w = connect_peer(server.port());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  // A room that does not exist yet.
  EXPECT_EQ(ask(*w, {{"type", "watch"}, {"room", "lobby"}}, "w1"), json({{"type", "watching"},
                                                                         {"room", "lobby"},
                                                                         {"peers", json::array()},
                                                                         {"meta", json::object()},
                                                                         {"rid", "w1"}}));
  EXPECT_EQ(http_get(server.admin_port(), "/admin/rooms/lobby", kAdmin).status, 404u);

  json ja = join_with_meta(*a, "lobby", {{"name", "Ada"}});
  EXPECT_EQ(ja["peers"], json::array());  // the watcher is nobody's peer
  EXPECT_EQ(w->recv(), json({{"type", "peer-joined"},
                             {"room", "lobby"},
                             {"id", a->id()},
                             {"meta", {{"name", "Ada"}}}}));
  json jb = b->join("lobby");
  EXPECT_EQ(jb["peers"], json::array({a->id()}));
  EXPECT_EQ(w->recv()["id"], b->id());
  a->recv_type("peer-joined");

  // Relays of every kind, then a presence change: the watcher sees only the latter.
  a->send({{"type", "offer"}, {"sdp", "x"}});
  a->send({{"type", "candidate"}, {"candidate", nullptr}});
  a->send({{"type", "message"}, {"data", 1}, {"to", b->id()}});
  b->send({{"type", "answer"}, {"sdp", "y"}});
  for (int i = 0; i < 3; ++i) b->recv();
  a->recv();
  ask(*b, {{"type", "update-meta"}, {"meta", {{"name", "Bea"}}}}, 1);
  EXPECT_EQ(w->recv(), json({{"type", "peer-updated"},
                             {"room", "lobby"},
                             {"id", b->id()},
                             {"meta", {{"name", "Bea"}}}}));
  a->send({{"type", "leave"}});
  json left = w->recv();
  EXPECT_EQ(left["type"], "peer-left");
  EXPECT_EQ(left["id"], a->id());
  EXPECT_EQ(left["reason"], "leave");

  // A second watcher sees the room as it is now, metadata included.
  auto v = connect_peer(server.port());
  json now = ask(*v, {{"type", "watch"}, {"room", "lobby"}}, 2);
  EXPECT_EQ(now["peers"], json::array({b->id()}));
  EXPECT_EQ(now["meta"], json({{b->id(), {{"name", "Bea"}}}}));

  // Watchers do not keep a room alive.
  b->close();
  EXPECT_EQ(w->recv()["reason"], "disconnect");
  EXPECT_TRUE(TestServer::eventually(
      [&] { return http_get(server.admin_port(), "/admin/rooms/lobby", kAdmin).status == 404; }));
  EXPECT_TRUE(w->quiet_for(100ms));
}

TEST(WatchRoom, WatchLimitUnwatchAndNotWatching) {
  Config config = test_config();
  config.limits.max_watches = 2;
  TestServer server(config);
  auto w = connect_peer(server.port());
  EXPECT_EQ(ask(*w, {{"type", "watch"}, {"room", "a"}}, 1)["type"], "watching");
  EXPECT_EQ(ask(*w, {{"type", "watch"}, {"room", "b"}}, 2)["type"], "watching");
  EXPECT_EQ(ask(*w, {{"type", "watch"}, {"room", "a"}}, 3)["type"], "watching");  // again: no slot
  expect_error(ask(*w, {{"type", "watch"}, {"room", "c"}}, 4), "watch-limit", 4);
  EXPECT_EQ(ask(*w, {{"type", "unwatch"}, {"room", "a"}}, 5),
            json({{"type", "unwatched"}, {"room", "a"}, {"rid", 5}}));
  expect_error(ask(*w, {{"type", "unwatch"}, {"room", "a"}}, 6), "not-watching", 6);
  expect_error(ask(*w, {{"type", "unwatch"}, {"room", "never"}}, 7), "not-watching", 7);
  EXPECT_EQ(ask(*w, {{"type", "watch"}, {"room", "c"}}, 8)["type"], "watching");
  expect_error(ask(*w, {{"type", "watch"}, {"room", ""}}, 9), "bad-room", 9);
  expect_error(ask(*w, {{"type", "watch"}}, 10), "bad-message", 10);
  // An unwatched room tells nothing any more.
  auto a = connect_peer(server.port());
  a->join("a");
  settle(*a);
  EXPECT_TRUE(w->quiet_for(100ms));
}

TEST(WatchRoom, WatchingAndBeingInARoomAreIndependent) {
  TestServer server;
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  a->join("both");
  EXPECT_EQ(ask(*a, {{"type", "watch"}, {"room", "both"}}, 1)["peers"], json::array({a->id()}));
  b->join("both");
  // Once as a member, not twice.
  EXPECT_EQ(a->recv()["type"], "peer-joined");
  b->send({{"type", "leave"}});
  EXPECT_EQ(a->recv()["type"], "peer-left");
  b->recv_type("left");
  EXPECT_TRUE(a->quiet_for(100ms));
}

TEST(WatchRoom, AuthIsCheckedAsForJoin) {
  TestServer server(auth_config());
  auto w = connect_peer(server.port());
  expect_error(ask(*w, {{"type", "watch"}, {"room", "vip"}}, 1), "unauthorized", 1);
  expect_error(ask(*w, {{"type", "watch"}, {"room", "vip"}, {"token", token_with("other")}}, 2),
               "unauthorized", 2);
  expect_error(ask(*w, {{"type", "watch"}, {"room", "vip"}, {"token", 5}}, 3), "bad-message", 3);
  EXPECT_EQ(ask(*w, {{"type", "watch"}, {"room", "vip"}, {"token", token_with("vip")}}, 4)["type"],
            "watching");
  EXPECT_EQ(ask(*w, {{"type", "watch"}, {"room", "any"}, {"token", token_with("*")}}, 5)["type"],
            "watching");
}

TEST(WatchRoom, WatchesEndWithTheConnectionAndAreNotResumed) {
  Config config = test_config();
  config.resume.grace = 30;
  TestServer server(config);
  auto w = connect_peer(server.port());
  ask(*w, {{"type", "watch"}, {"room", "gone"}}, 1);
  const std::string token = w->resume_token();
  w->drop();
  ASSERT_TRUE(await_away(server));
  auto again = connect_peer(server.port());
  ASSERT_EQ(ask(*again, {{"type", "resume"}, {"token", token}}, 2)["type"], "resumed");
  // Unwatching shows it: the watch is gone.
  expect_error(ask(*again, {{"type", "unwatch"}, {"room", "gone"}}, 3), "not-watching", 3);
  auto a = connect_peer(server.port());
  a->join("gone");
  settle(*a);
  EXPECT_TRUE(again->quiet_for(100ms));
}

}  // namespace
}  // namespace parley::test
