// Session resume over real sockets: a peer whose connection is lost keeps its
// id, its seat and the messages sent to it; a new connection whose first
// message is `resume` becomes that peer again. Also what ends a session at
// once, what a spent or unknown token gets, and what the grace's end does.
//
// "The server noticed the loss" is awaited through the registry (a peer is
// away exactly when a grace deadline exists): a message written to a socket
// the client already closed is gone for good, so a test that promises "every
// message sent during the gap arrives" sends them after the server knows.
#include <gtest/gtest.h>

#include <thread>

#include "harness.hpp"
#include "rooms/room_directory.hpp"

namespace parley::test {
namespace {

const std::vector<std::pair<std::string, std::string>> kAdminAuth{
    {"Authorization", "Bearer test-admin-token"}};

Config resume_config(double grace = 30, std::size_t buffer_messages = 256) {
  Config config = test_config();
  config.resume.grace = grace;
  config.resume.buffer_messages = buffer_messages;
  config.limits.max_peers_per_room = 4;
  // The tests below send bursts; the token bucket is not what they test.
  config.limits.message_burst = 100000;
  config.limits.messages_per_second = 100000;
  return config;
}

// The first message of `client` (already welcomed) is `resume`; returns the answer.
json resume(WsClient& client, const std::string& token, const json& rid = nullptr) {
  json request{{"type", "resume"}, {"token", token}};
  if (!rid.is_null()) request["rid"] = rid;
  client.send(request);
  return client.recv();
}

void expect_resume_failed(const json& answer) {
  EXPECT_EQ(answer["type"], "error") << answer.dump();
  EXPECT_EQ(answer["code"], "resume-failed") << answer.dump();
}

TEST(ResumeWire, HundredMessagesSentDuringTheGapArriveOnceInOrderThenLiveTraffic) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "gap");

  // Mid-conversation: traffic flows both ways before the drop.
  b->send(message_with_seq(-2));
  EXPECT_EQ(a->recv()["data"]["seq"], -2);
  a->send(message_with_seq(-1));
  EXPECT_EQ(b->recv()["data"]["seq"], -1);

  const std::string a_id = a->id();
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));

  // During the gap: broadcasts and messages addressed to the lost peer, mixed.
  for (int seq = 0; seq < 100; ++seq) {
    json m = message_with_seq(seq);
    if (seq % 3 == 0) m["to"] = a_id;
    b->send(m);
  }
  settle(*b);  // all 100 are kept before the resume (none arrive live instead)

  auto c = connect_peer(server.port());
  EXPECT_NE(c->id(), a_id);
  json resumed = resume(*c, token, "r-1");
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
  EXPECT_EQ(resumed["id"], a_id);
  EXPECT_EQ(resumed["room"], "gap");
  EXPECT_EQ(resumed["peers"], json::array({b->id()}));
  EXPECT_EQ(resumed["rid"], "r-1");
  ASSERT_TRUE(resumed["resume"].is_string());
  EXPECT_NE(resumed["resume"], token);
  EXPECT_NE(resumed["resume"], c->resume_token());

  for (int seq = 0; seq < 100; ++seq) {
    json m = c->recv();
    ASSERT_EQ(m["type"], "message") << m.dump();
    ASSERT_EQ(m["data"]["seq"], seq) << m.dump();
    EXPECT_EQ(m["from"], b->id());
    if (seq % 3 == 0) {
      EXPECT_EQ(m["to"], a_id);
    }
  }
  // Live traffic follows the kept messages, with nothing repeated between.
  b->send(message_with_seq(100));
  EXPECT_EQ(c->recv()["data"]["seq"], 100);

  // The room was told nothing: b's next frame is the resumed peer speaking.
  c->send(message_with_seq(101));
  json from_c = b->recv();
  EXPECT_EQ(from_c["type"], "message") << from_c.dump();
  EXPECT_EQ(from_c["from"], a_id);
  EXPECT_EQ(from_c["data"]["seq"], 101);
  EXPECT_EQ(room_info(server, "gap")->peers,
            (std::vector<std::string>{a_id, b->id()}));
}

TEST(ResumeWire, ResumeWorksAgainWithTheNextTokenOnly) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "chain");
  const std::string a_id = a->id();
  const std::string first_token = a->resume_token();

  a->drop();
  ASSERT_TRUE(await_away(server));
  auto c = connect_peer(server.port());
  json resumed = resume(*c, first_token);
  ASSERT_EQ(resumed["type"], "resumed");
  const std::string second_token = resumed["resume"];
  const std::string c_welcome_token = c->resume_token();

  c->drop();
  ASSERT_TRUE(await_away(server));
  // The spent token and the token c's connection was welcomed with fail...
  auto d = connect_peer(server.port());
  json spent = resume(*d, first_token, 7);
  expect_resume_failed(spent);
  EXPECT_EQ(spent["rid"], 7);
  auto e = connect_peer(server.port());
  expect_resume_failed(resume(*e, c_welcome_token));
  // ...the token that came with `resumed` works.
  auto f = connect_peer(server.port());
  json again = resume(*f, second_token);
  ASSERT_EQ(again["type"], "resumed") << again.dump();
  EXPECT_EQ(again["id"], a_id);
  EXPECT_EQ(again["room"], "chain");

  // The failed connections went on as fresh peers of their own.
  d->send({{"type", "ping"}});
  EXPECT_EQ(d->recv()["type"], "pong");
  EXPECT_EQ(d->join("elsewhere")["id"], d->id());
}

TEST(ResumeWire, UnknownTokenFailsAndTheConnectionGoesOnAsItsOwnPeer) {
  TestServer server(resume_config());
  auto c = connect_peer(server.port());
  json answer = resume(*c, "no-such-token", "x");
  expect_resume_failed(answer);
  EXPECT_EQ(answer["rid"], "x");
  EXPECT_EQ(c->join("own")["id"], c->id());
}

TEST(ResumeWire, ResumeThatIsNotTheFirstMessageFailsAndSpendsNothing) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  a->join("late");
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));

  auto c = connect_peer(server.port());
  c->send({{"type", "ping"}});
  EXPECT_EQ(c->recv()["type"], "pong");
  expect_resume_failed(resume(*c, token));
  EXPECT_EQ(c->join("c-room")["id"], c->id());  // still the peer it was

  // A bad first message counts as the first message too.
  auto d = connect_peer(server.port());
  d->send_text("not json");
  EXPECT_EQ(d->recv()["code"], "bad-json");
  expect_resume_failed(resume(*d, token));

  // A token that is not a string is a bad message.
  auto e = connect_peer(server.port());
  e->send({{"type", "resume"}, {"token", 5}});
  EXPECT_EQ(e->recv()["code"], "bad-message");

  // The token was not spent by any of these.
  auto f = connect_peer(server.port());
  json resumed = resume(*f, token);
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
  EXPECT_EQ(resumed["room"], "late");
}

TEST(ResumeWire, PeerInNoRoomResumesWithNullRoom) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  const std::string a_id = a->id();
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));
  auto c = connect_peer(server.port());
  json resumed = resume(*c, token);
  ASSERT_EQ(resumed["type"], "resumed");
  EXPECT_EQ(resumed["id"], a_id);
  EXPECT_TRUE(resumed["room"].is_null());
  EXPECT_EQ(resumed["peers"], json::array());
  json joined = c->join("later");
  EXPECT_EQ(joined["id"], a_id);
}

TEST(ResumeWire, KeptMessagesPastTheBufferDropTheOldest) {
  TestServer server(resume_config(30, 5));
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "overflow");
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));
  for (int seq = 0; seq < 12; ++seq) b->send(message_with_seq(seq));
  settle(*b);

  auto c = connect_peer(server.port());
  ASSERT_EQ(resume(*c, token)["type"], "resumed");
  for (int seq = 7; seq < 12; ++seq) EXPECT_EQ(c->recv()["data"]["seq"], seq);
  b->send(message_with_seq(12));
  EXPECT_EQ(c->recv()["data"]["seq"], 12);  // the next frame: nothing older survived
}

// The kept buffer holds at most half of limits.max_send_queue_bytes (counted as
// the frames the peer receives, `from` included), so that a full buffer,
// `resumed` and live traffic fit in the new connection's send queue: no 1013
// right after a resume. The boundary is exact: the cap is kept whole, one byte
// more drops the oldest message.
TEST(ResumeWire, AResumeBufferFilledToItsCapArrivesWholeWithout1013) {
  constexpr std::size_t kSendQueue = 64 * 1024;
  constexpr std::size_t kCap = resume_buffer_bytes_for(kSendQueue);
  constexpr std::size_t kFrame = 1024;  // each kept frame, as the receiver gets it
  constexpr int kFrames = static_cast<int>(kCap / kFrame);
  static_assert(kCap % kFrame == 0);
  Config config = resume_config(30, 100000);  // only the byte cap applies
  config.limits.max_send_queue_bytes = kSendQueue;
  TestServer server(config);

  // The text `sender` sends so that the relayed frame is exactly `frame` bytes:
  // parley splices `"from":"<id>",` in after the opening brace.
  const auto text_of = [](const WsClient& sender, int seq, std::size_t frame) {
    const std::string head =
        R"({"type":"message","data":{"seq":)" + std::to_string(seq) + R"(,"pad":")";
    const std::string tail = "\"}}";
    const std::size_t spliced = std::string(R"("from":"",)").size() + sender.id().size();
    return head + std::string(frame - spliced - head.size() - tail.size(), 'p') + tail;
  };

  for (const bool one_byte_more : {false, true}) {
    SCOPED_TRACE(one_byte_more ? "cap + 1 byte" : "exactly the cap");
    auto a = connect_peer(server.port());
    auto b = connect_peer(server.port());
    pair_up(*a, *b, one_byte_more ? "cap-plus-one" : "cap");
    ASSERT_FALSE(HasFatalFailure());
    const std::string token = a->resume_token();
    a->drop();
    ASSERT_TRUE(await_away(server));
    // The first frame is one byte longer in the second round: cap + 1 in all.
    b->send_text(text_of(*b, 0, kFrame + (one_byte_more ? 1 : 0)));
    for (int seq = 1; seq < kFrames; ++seq) b->send_text(text_of(*b, seq, kFrame));
    settle(*b);

    auto c = connect_peer(server.port());
    c->send({{"type", "resume"}, {"token", token}});
    c->send({{"type", "ping"}, {"rid", "after"}});  // queued behind the kept frames
    const json resumed = c->recv();
    ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
    for (int seq = one_byte_more ? 1 : 0; seq < kFrames; ++seq) {
      const json m = c->recv();
      ASSERT_EQ(m["type"], "message") << m.dump().substr(0, 200);
      ASSERT_EQ(m["data"]["seq"], seq);
    }
    EXPECT_EQ(c->recv()["rid"], "after");
    // Live traffic flows on; the connection was never closed for 1013.
    b->send(message_with_seq(kFrames));
    EXPECT_EQ(c->recv()["data"]["seq"], kFrames);
  }
  EXPECT_EQ(metric_value(server.admin_port(), "parley_slow_consumer_closes_total"), 0);
}

// Far more than the cap sent to an away peer, then a resume while the sender
// keeps sending: the buffer is full at the resume, and still no 1013.
TEST(ResumeWire, AFullResumeBufferAndLiveTrafficDoNotTrip1013) {
  Config config = resume_config(30, 100000);
  config.limits.max_send_queue_bytes = 64 * 1024;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "full");
  ASSERT_FALSE(HasFatalFailure());
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));
  const std::string pad(2000, 'p');
  for (int seq = 0; seq < 200; ++seq) {
    json m = message_with_seq(seq);
    m["data"]["pad"] = pad;
    b->send(m);
  }
  settle(*b);
  auto c = connect_peer(server.port());
  c->send({{"type", "resume"}, {"token", token}});
  for (int seq = 200; seq < 220; ++seq) b->send(message_with_seq(seq));
  ASSERT_EQ(c->recv()["type"], "resumed");
  int last = -1;
  while (last < 219) {
    const json m = c->recv();
    ASSERT_EQ(m["type"], "message") << m.dump().substr(0, 200);
    ASSERT_GT(m["data"]["seq"].get<int>(), last);
    last = m["data"]["seq"].get<int>();
  }
  EXPECT_EQ(metric_value(server.admin_port(), "parley_slow_consumer_closes_total"), 0);
}

TEST(ResumeWire, PresenceChangesDuringTheGapShowInResumedPeers) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "presence");
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));

  auto newcomer = connect_peer(server.port());
  EXPECT_EQ(newcomer->join("presence")["peers"], json::array({a->id(), b->id()}));
  EXPECT_EQ(b->recv()["type"], "peer-joined");
  b->send({{"type", "leave"}});
  EXPECT_EQ(b->recv()["type"], "left");
  EXPECT_EQ(newcomer->recv()["type"], "peer-left");
  newcomer->send(message_with_seq(1));
  settle(*newcomer);

  auto c = connect_peer(server.port());
  json resumed = resume(*c, token);
  ASSERT_EQ(resumed["type"], "resumed");
  EXPECT_EQ(resumed["peers"], json::array({newcomer->id()}));
  // Only the relayed message was kept, not peer-joined or peer-left.
  json kept = c->recv();
  EXPECT_EQ(kept["type"], "message") << kept.dump();
  EXPECT_EQ(kept["from"], newcomer->id());
}

TEST(ResumeWire, RoomEmptiedWhileItsOnlyPeerIsAwayWaitsForIt) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "emptied");
  const std::string a_id = a->id();
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));
  b->send({{"type", "leave"}});
  EXPECT_EQ(b->recv()["type"], "left");
  EXPECT_EQ(room_info(server, "emptied")->peers, std::vector<std::string>{a_id});

  auto c = connect_peer(server.port());
  json resumed = resume(*c, token);
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
  EXPECT_EQ(resumed["room"], "emptied");
  EXPECT_EQ(resumed["peers"], json::array());
  EXPECT_EQ(b->join("emptied")["peers"], json::array({a_id}));
  EXPECT_EQ(c->recv()["type"], "peer-joined");
}

TEST(ResumeWire, GraceEndTellsTheRoomTimeoutAndTheTokenDies) {
  TestServer server(resume_config(0.5));
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "expiry");
  const std::string a_id = a->id();
  const std::string token = a->resume_token();
  a->drop();

  // b's next frame is the timeout: nothing was said during the grace.
  json left = b->recv();
  EXPECT_EQ(left["type"], "peer-left") << left.dump();
  EXPECT_EQ(left["id"], a_id);
  EXPECT_EQ(left["room"], "expiry");
  EXPECT_EQ(left["reason"], "timeout");
  EXPECT_EQ(room_info(server, "expiry")->peers, std::vector<std::string>{b->id()});

  auto c = connect_peer(server.port());
  expect_resume_failed(resume(*c, token));
}

TEST(ResumeWire, RoomWhoseOnlyPeerIsAwayIsDestroyedWhenTheGraceEnds) {
  TestServer server(resume_config(0.5));
  auto a = connect_peer(server.port());
  a->join("lonely");
  a->drop();
  ASSERT_TRUE(await_away(server));
  // During the grace the room and its away peer are still listed.
  const auto during = json::parse(http_get(server.admin_port(), "/admin/rooms", kAdminAuth).body);
  ASSERT_EQ(during.size(), 1u);
  EXPECT_EQ(during[0]["room"], "lonely");
  EXPECT_EQ(during[0]["peers"], json::array({a->id()}));
  EXPECT_TRUE(during[0]["created"].is_number_integer());

  EXPECT_TRUE(TestServer::eventually([&] {
    return json::parse(http_get(server.admin_port(), "/admin/rooms", kAdminAuth).body).empty();
  }));
  EXPECT_EQ(room_counts(server).connected, 0u);
}

TEST(ResumeWire, CloseFrameAndLeaveFreeTheSeatAtOnce) {
  TestServer server(resume_config(3600));  // a grace no test outlives
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  auto c = connect_peer(server.port());
  a->join("now");
  b->join("now");
  c->join("now");
  const std::string a_token = a->resume_token();
  const std::string a_id = a->id();

  a->close(1000);
  for (auto* peer : {b.get(), c.get()}) {
    json left = peer->recv_type("peer-left");
    EXPECT_EQ(left["id"], a_id);
    EXPECT_EQ(left["reason"], "disconnect");
  }
  b->send({{"type", "leave"}});
  EXPECT_EQ(b->recv()["type"], "left");
  json left = c->recv();
  EXPECT_EQ(left["type"], "peer-left");
  EXPECT_EQ(left["reason"], "leave");
  EXPECT_EQ(room_info(server, "now")->peers, std::vector<std::string>{c->id()});

  auto d = connect_peer(server.port());
  expect_resume_failed(resume(*d, a_token));  // an ended session cannot be resumed
}

TEST(ResumeWire, ResumeTakesOverAConnectionThatStillLooksAlive) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "takeover");
  const std::string a_id = a->id();

  // a's socket is still open: to the server this is a half-open connection.
  auto c = connect_peer(server.port());
  json resumed = resume(*c, a->resume_token());
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
  EXPECT_EQ(resumed["id"], a_id);
  EXPECT_EQ(resumed["room"], "takeover");
  EXPECT_EQ(a->expect_close(), 1000u);

  // The room saw nothing; traffic goes to and comes from the new connection.
  b->send(message_with_seq(1));
  EXPECT_EQ(c->recv()["data"]["seq"], 1);
  c->send(message_with_seq(2));
  json from_c = b->recv();
  EXPECT_EQ(from_c["type"], "message") << from_c.dump();
  EXPECT_EQ(from_c["from"], a_id);
  EXPECT_EQ(room_info(server, "takeover")->peers,
            (std::vector<std::string>{a_id, b->id()}));
}

TEST(ResumeWire, PeerKickedDuringTheGraceResumesInNoRoom) {
  TestServer server(resume_config());
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "kick");
  const std::string a_id = a->id();
  const std::string token = a->resume_token();
  a->drop();
  ASSERT_TRUE(await_away(server));

  const auto res = http_request(server.admin_port(), boost::beast::http::verb::delete_,
                                "/admin/peers/" + a_id, kAdminAuth);
  EXPECT_EQ(res.status / 100, 2u) << res.status;
  json left = b->recv();
  EXPECT_EQ(left["type"], "peer-left");
  EXPECT_EQ(left["reason"], "kicked");

  auto c = connect_peer(server.port());
  json resumed = resume(*c, token);
  ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
  EXPECT_EQ(resumed["id"], a_id);
  EXPECT_TRUE(resumed["room"].is_null());
  EXPECT_EQ(resumed["peers"], json::array());
}

TEST(ResumeWire, PingTimeoutLosesTheConnectionItDoesNotEndIt) {
  Config config = resume_config();
  config.heartbeat.ping_interval = 0.25;
  config.heartbeat.ping_timeout = 1;
  TestServer server(config);
  auto a = connect_peer(server.port());
  auto b = connect_peer(server.port());
  pair_up(*a, *b, "silent");
  const std::string a_id = a->id();
  const std::string token = a->resume_token();

  // a never reads again, so it never answers a ping; b keeps reading (and so
  // answering pings) on its own thread, waiting for the resumed peer to speak.
  json b_next;
  std::string b_error;
  std::thread reader([&] {
    try {
      b_next = b->recv(30s);
    } catch (const std::exception& e) {
      b_error = e.what();
    }
  });
  const bool away = await_away(server);
  EXPECT_TRUE(away) << "the silent connection was not timed out";
  auto c = connect_peer(server.port());
  json resumed = resume(*c, token);
  EXPECT_EQ(resumed["type"], "resumed") << resumed.dump();
  EXPECT_EQ(resumed["room"], "silent");
  c->send(message_with_seq(1));  // ends b's wait either way
  reader.join();
  EXPECT_EQ(b_error, "");
  EXPECT_EQ(b_next["type"], "message") << b_next.dump();
  EXPECT_EQ(b_next["from"], a_id);
}

}  // namespace
}  // namespace parley::test
