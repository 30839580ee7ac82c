// Resume under races, over real sockets. Each test asserts outcomes, never
// timings: whichever side of a race wins, the result must be one of the
// allowed ones, and the room's view must agree with what the clients were told.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <latch>
#include <thread>

#include "harness.hpp"
#include "rooms/room_directory.hpp"

namespace parley::test {
namespace {

Config race_config(double grace) {
  Config config = test_config();
  config.resume.grace = grace;
  config.resume.buffer_messages = 256;
  config.limits.max_peers_per_room = 4;
  config.limits.message_burst = 100000;
  config.limits.messages_per_second = 100000;
  return config;
}

// A resume sent from its own thread, so that two of them can race.
struct ResumeAttempt {
  std::unique_ptr<WsClient> client;
  json answer;
  std::string error;
};

void attempt(ResumeAttempt& a, const std::string& token, std::latch& start) {
  try {
    start.arrive_and_wait();
    a.client->send({{"type", "resume"}, {"token", token}});
    a.answer = a.client->recv();
  } catch (const std::exception& e) {
    a.error = e.what();
  }
}

// The resume lands around the end of the grace: sometimes before it, sometimes
// after it, sometimes while the server's expiry sweep runs. Either outcome is
// fine; what is checked is that the resuming client and the room agree on it.
TEST(ResumeRace, ResumeRacingGraceExpiryTwoHundredTimes) {
  constexpr double kGrace = 0.1;
  TestServer server(race_config(kGrace));
  int resumed_count = 0;
  int expired_count = 0;
  for (int round = 0; round < 200; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string room = "race-" + std::to_string(round);
    auto a = connect_peer(server.port());
    auto b = connect_peer(server.port());
    pair_up(*a, *b, room);
    ASSERT_FALSE(HasFatalFailure());
    auto c = connect_peer(server.port());  // ready before the drop, to aim closely
    const std::string a_id = a->id();
    const std::string token = a->resume_token();

    a->drop();
    ASSERT_TRUE(await_away(server));
    // Aiming, not synchronising: over the rounds, the attempt lands in 5 ms steps
    // from 50 ms before to 45 ms after the deadline as this thread saw it (the
    // server sweeps expired peers every 100 ms, so some land between the
    // deadline and the sweep).
    const auto offset = std::chrono::milliseconds((round % 20) * 5 - 50);
    std::this_thread::sleep_until(std::chrono::steady_clock::now() +
                                  std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::duration<double>(kGrace)) +
                                  offset);
    c->send({{"type", "resume"}, {"token", token}});
    json answer = c->recv();

    if (answer["type"] == "resumed") {
      ++resumed_count;
      EXPECT_EQ(answer["id"], a_id);
      EXPECT_EQ(answer["room"], room);
      EXPECT_EQ(answer["peers"], json::array({b->id()}));
      // b was told nothing: its next frame is the resumed peer speaking.
      c->send(message_with_seq(round));
      json next = b->recv();
      EXPECT_EQ(next["type"], "message") << next.dump();
      EXPECT_EQ(next["from"], a_id);
      EXPECT_EQ(room_info(server, room)->peers,
                (std::vector<std::string>{a_id, b->id()}));
      // Ending the resumed session at once frees the seat.
      c->close();
      json left = b->recv();
      EXPECT_EQ(left["type"], "peer-left");
      EXPECT_EQ(left["reason"], "disconnect");
    } else {
      ++expired_count;
      EXPECT_EQ(answer["type"], "error") << answer.dump();
      EXPECT_EQ(answer["code"], "resume-failed") << answer.dump();
      json left = b->recv();
      EXPECT_EQ(left["type"], "peer-left") << left.dump();
      EXPECT_EQ(left["id"], a_id);
      EXPECT_EQ(left["reason"], "timeout");
      EXPECT_EQ(room_info(server, room)->peers, std::vector<std::string>{b->id()});
      // The failed connection is a fresh peer, in no room.
      EXPECT_EQ(c->join(room)["peers"], json::array({b->id()}));
    }
    EXPECT_FALSE(server.server().directory().next_deadline().has_value());
    if (HasFailure()) break;
  }
  RecordProperty("resumed", resumed_count);
  RecordProperty("expired", expired_count);
  std::cout << "resumed " << resumed_count << ", expired " << expired_count << " of 200\n";
}

// Two new connections present the same token at once: exactly one becomes the
// peer, with every kept message; the other gets resume-failed and goes on as a
// fresh peer. Repeated, because which one wins is up to the scheduler.
TEST(ResumeRace, TwoConnectionsRacingForOneTokenExactlyOneWins) {
  TestServer server(race_config(30));
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string room = "duel-" + std::to_string(round);
    auto a = connect_peer(server.port());
    auto b = connect_peer(server.port());
    pair_up(*a, *b, room);
    ASSERT_FALSE(HasFatalFailure());
    const std::string a_id = a->id();
    const std::string token = a->resume_token();
    a->drop();
    ASSERT_TRUE(await_away(server));
    for (int seq = 0; seq < 5; ++seq) b->send(message_with_seq(seq));
    settle(*b);  // kept before the race

    ResumeAttempt first{connect_peer(server.port()), {}, {}};
    ResumeAttempt second{connect_peer(server.port()), {}, {}};
    std::latch start(2);
    std::thread t1([&] { attempt(first, token, start); });
    std::thread t2([&] { attempt(second, token, start); });
    t1.join();
    t2.join();
    ASSERT_EQ(first.error, "");
    ASSERT_EQ(second.error, "");

    const bool first_won = first.answer["type"] == "resumed";
    ResumeAttempt& winner = first_won ? first : second;
    ResumeAttempt& loser = first_won ? second : first;
    ASSERT_EQ(winner.answer["type"], "resumed") << winner.answer.dump();
    EXPECT_EQ(winner.answer["id"], a_id);
    EXPECT_EQ(loser.answer["type"], "error") << loser.answer.dump();
    EXPECT_EQ(loser.answer["code"], "resume-failed");

    for (int seq = 0; seq < 5; ++seq) EXPECT_EQ(winner.client->recv()["data"]["seq"], seq);
    winner.client->send(message_with_seq(99));
    json next = b->recv();
    EXPECT_EQ(next["from"], a_id) << next.dump();
    // The loser is its own peer, outside the room.
    EXPECT_EQ(loser.client->join(room + "-other")["id"], loser.client->id());
    EXPECT_EQ(room_info(server, room)->peers,
              (std::vector<std::string>{a_id, b->id()}));
    if (HasFailure()) break;
  }
}

// The same race while the old connection still looks alive: one of the two
// takes it over (the old one is closed with 1000), the other fails.
TEST(ResumeRace, TwoConnectionsRacingToTakeOverALiveConnection) {
  TestServer server(race_config(30));
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string room = "takeover-" + std::to_string(round);
    auto a = connect_peer(server.port());
    auto b = connect_peer(server.port());
    pair_up(*a, *b, room);
    ASSERT_FALSE(HasFatalFailure());
    const std::string a_id = a->id();

    ResumeAttempt first{connect_peer(server.port()), {}, {}};
    ResumeAttempt second{connect_peer(server.port()), {}, {}};
    std::latch start(2);
    std::thread t1([&] { attempt(first, a->resume_token(), start); });
    std::thread t2([&] { attempt(second, a->resume_token(), start); });
    t1.join();
    t2.join();
    ASSERT_EQ(first.error, "");
    ASSERT_EQ(second.error, "");
    const int wins = (first.answer["type"] == "resumed") + (second.answer["type"] == "resumed");
    EXPECT_EQ(wins, 1) << first.answer.dump() << " / " << second.answer.dump();
    EXPECT_EQ(a->expect_close(), 1000u);
    ResumeAttempt& winner = first.answer["type"] == "resumed" ? first : second;
    b->send(message_with_seq(round));
    EXPECT_EQ(winner.client->recv()["data"]["seq"], round);
    if (HasFailure()) break;
  }
}

// Messages addressed to the away peer keep coming while it resumes: each one is
// either kept (and follows `resumed`) or delivered live after the kept ones.
TEST(ResumeRace, MessagesInFlightDuringTheResumeArriveOnceInOrder) {
  TestServer server(race_config(30));
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string room = "inflight-" + std::to_string(round);
    auto a = connect_peer(server.port());
    auto b = connect_peer(server.port());
    pair_up(*a, *b, room);
    ASSERT_FALSE(HasFatalFailure());
    const std::string a_id = a->id();
    const std::string token = a->resume_token();
    a->drop();
    ASSERT_TRUE(await_away(server));

    auto c = connect_peer(server.port());
    constexpr int kMessages = 200;
    std::string sender_error;
    std::latch start(2);
    std::thread sender([&] {
      try {
        start.arrive_and_wait();
        for (int seq = 0; seq < kMessages; ++seq) {
          json m = message_with_seq(seq);
          m["to"] = a_id;
          b->send(m);
        }
      } catch (const std::exception& e) {
        sender_error = e.what();
      }
    });
    start.arrive_and_wait();
    c->send({{"type", "resume"}, {"token", token}});
    sender.join();
    ASSERT_EQ(sender_error, "");
    json resumed = c->recv();
    ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
    for (int seq = 0; seq < kMessages; ++seq) {
      json m = c->recv();
      ASSERT_EQ(m["type"], "message") << m.dump();
      ASSERT_EQ(m["data"]["seq"], seq);
    }
    if (HasFailure()) break;
  }
}

// Traffic keeps flowing while the receiver's connection drops. Messages that
// the server wrote to the dead socket before it noticed are gone (nothing on
// the wire acknowledges them), but nothing is ever duplicated or reordered,
// and everything sent once the loss is known arrives.
TEST(ResumeRace, TrafficAcrossTheDropIsNeverDuplicatedOrReordered) {
  TestServer server(race_config(30));
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string room = "flow-" + std::to_string(round);
    auto a = connect_peer(server.port());
    auto b = connect_peer(server.port());
    pair_up(*a, *b, room);
    ASSERT_FALSE(HasFatalFailure());
    const std::string token = a->resume_token();

    std::vector<int> seen;
    for (int seq = 0; seq < 50; ++seq) b->send(message_with_seq(seq));
    for (int i = 0; i < 20; ++i) seen.push_back(a->recv()["data"]["seq"].get<int>());
    a->drop();  // 30 messages are on their way or in a's unread buffer
    for (int seq = 50; seq < 150; ++seq) b->send(message_with_seq(seq));
    ASSERT_TRUE(await_away(server));
    for (int seq = 150; seq < 200; ++seq) b->send(message_with_seq(seq));

    auto c = connect_peer(server.port());
    c->send({{"type", "resume"}, {"token", token}});
    json resumed = c->recv();
    ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
    b->send(message_with_seq(200));  // the end marker
    for (;;) {
      json m = c->recv();
      ASSERT_EQ(m["type"], "message") << m.dump();
      seen.push_back(m["data"]["seq"].get<int>());
      if (seen.back() == 200) break;
    }
    for (std::size_t i = 1; i < seen.size(); ++i)
      ASSERT_LT(seen[i - 1], seen[i]) << "duplicated or reordered at index " << i;
    for (int seq = 0; seq < 20; ++seq) EXPECT_EQ(seen[seq], seq);
    // From 150 on, the server knew: all of them are there.
    const auto from_150 = std::find(seen.begin(), seen.end(), 150);
    ASSERT_NE(from_150, seen.end());
    EXPECT_EQ(seen.end() - from_150, 51);
    if (HasFailure()) break;
  }
}

}  // namespace
}  // namespace parley::test

namespace parley::test {
namespace {

// Every message until the server closes the connection (recv throws then).
std::vector<json> recv_until_closed(WsClient& client) {
  std::vector<json> messages;
  for (;;) {
    try {
      messages.push_back(client.recv(30s));
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("closed"), std::string::npos) << e.what();
      return messages;
    }
  }
}

// A resume that takes over a connection that is still alive, under load: a
// sender sends 2,000 numbered messages throughout while the receiver resumes on
// a new connection again and again, each time stopping to read for a moment so
// that messages pile up in the old connection's queue. What the old connection
// had written arrives there before its close (1000); what it had not is handed
// to the new connection after `resumed`, ahead of live traffic. Across all the
// connections every message arrives exactly once, in order.
TEST(ResumeRace, TakeoverUnderLoadHandsTheOldQueueOverNothingLostDuplicatedOrReordered) {
  Config config = race_config(30);
  config.limits.max_send_queue_bytes = 16 * 1024 * 1024;  // never a slow consumer here
  TestServer server(config);
  auto receiver = connect_peer(server.port());
  auto sender = connect_peer(server.port());
  pair_up(*receiver, *sender, "takeover-load");
  ASSERT_FALSE(HasFatalFailure());
  std::string token = receiver->resume_token();
  const std::string id = receiver->id();

  constexpr int kMessages = 2000;
  const std::string pad(1000, 'p');  // enough bytes to fill socket buffers
  std::string sender_error;
  std::thread sending([&] {
    try {
      for (int seq = 0; seq < kMessages; ++seq) {
        json m = message_with_seq(seq);
        m["data"]["pad"] = pad;
        sender->send(m);
      }
    } catch (const std::exception& e) {
      sender_error = e.what();
    }
  });

  std::vector<int> seen;
  const auto take = [&](const json& m) {
    ASSERT_EQ(m["type"], "message") << m.dump().substr(0, 200);
    seen.push_back(m["data"]["seq"].get<int>());
  };
  int takeovers = 0;
  for (int read_before = 150; read_before < kMessages && takeovers < 8; read_before += 230) {
    while (static_cast<int>(seen.size()) < read_before && !HasFatalFailure())
      take(receiver->recv(30s));
    ASSERT_FALSE(HasFatalFailure());
    // The receiver does not read while it resumes elsewhere: the old queue grows.
    auto next = connect_peer(server.port());
    next->send({{"type", "resume"}, {"token", token}});
    const json resumed = next->recv(30s);
    ASSERT_EQ(resumed["type"], "resumed") << resumed.dump();
    ASSERT_EQ(resumed["id"], id);
    token = resumed["resume"].get<std::string>();
    // The old connection: what it had written, then the close (1000).
    for (const json& m : recv_until_closed(*receiver)) take(m);
    ASSERT_FALSE(HasFatalFailure());
    receiver = std::move(next);
    ++takeovers;
  }
  while ((seen.empty() || seen.back() != kMessages - 1) && !HasFatalFailure())
    take(receiver->recv(30s));
  sending.join();
  ASSERT_EQ(sender_error, "");
  EXPECT_GE(takeovers, 5);
  ASSERT_EQ(seen.size(), static_cast<std::size_t>(kMessages));
  for (int seq = 0; seq < kMessages; ++seq)
    ASSERT_EQ(seen[seq], seq) << "lost, duplicated or reordered at index " << seq;
  // Nothing more: no duplicate trails behind.
  receiver->send({{"type", "ping"}, {"rid", "end"}});
  const json last = receiver->recv(30s);
  EXPECT_EQ(last["type"], "pong") << last.dump().substr(0, 200);
}

}  // namespace
}  // namespace parley::test
