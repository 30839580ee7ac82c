// The cluster's Lua scripts, run through the Redis client against a real
// redis-server: the atomic join (capacity, join order), leave and end, relay
// (one message per node, kept messages for away peers), the single-use resume
// token, heartbeats, and the cleanup after a dead node, after which no key names
// its peers. Each "node" here is one connection plus a subscriber on its channel.
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "cluster/cluster_scripts.hpp"
#include "cluster/redis_connection.hpp"
#include "cluster/redis_scripts.hpp"
#include "cluster/redis_subscriber.hpp"
#include "event_loop.hpp"
#include "redis_server.hpp"

namespace parley {
namespace {

using test::RedisServer;
using test::run_until;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using json = nlohmann::json;

std::vector<std::string> texts(const RedisReply& reply) {
  std::vector<std::string> result;
  for (const auto& element : reply.elements) result.push_back(element.text);
  return result;
}

// One parley node as the scripts see it: a command connection and its channel.
class Node {
 public:
  Node(boost::asio::io_context& context, const RedisServer& server, std::string name)
      : context_(context), name_(std::move(name)) {
    RedisOptions options;
    std::string error;
    options.url = parse_redis_url(server.url(), error).value();
    options.client_name = "parley-" + name_;
    redis_ = RedisConnection::create(context.get_executor(), options);
    scripts_ = std::make_unique<RedisScripts>(redis_);
    for (const auto& script : cluster_scripts()) scripts_->add(script.name, script.source);
    subscriber_ = RedisSubscriber::create(context.get_executor(), options,
                                          [this](const std::string&, const std::string& payload) {
                                            events.push_back(json::parse(payload));
                                          });
    subscriber_->subscribe("parley:ch:" + name_);
    redis_->on_connected([this] { scripts_->load_all(); });
    redis_->start();
    subscriber_->start();
  }
  void stop() {
    subscriber_->stop();
    redis_->stop();
  }

  bool ready() const { return redis_->connected() && subscriber_->subscribed(); }
  const std::string& name() const { return name_; }

  // Starts a script; the reply lands in `slot`.
  void start(const std::string& script, std::vector<std::string> args,
             std::optional<RedisReply>& slot) {
    scripts_->run(id(script), {}, std::move(args), [&slot](RedisReply r) { slot = std::move(r); });
  }
  RedisReply run(const std::string& script, std::vector<std::string> args) {
    std::optional<RedisReply> reply;
    start(script, std::move(args), reply);
    EXPECT_TRUE(run_until(context_, [&] { return reply.has_value(); })) << script;
    EXPECT_FALSE(reply && reply->is_error()) << script << ": " << (reply ? reply->text : "");
    return reply.value_or(RedisReply::error("no reply"));
  }

  // Script wrappers with this node's name filled in.
  void connect(const std::string& id, const std::string& token, bool resumable = true) {
    ASSERT_EQ(run("connect", {name_, id, token, resumable ? "1" : "0"}).integer, 1) << id;
  }
  RedisReply join(const std::string& id, const std::string& room, int max_peers = 2,
                  int max_rooms = 100) {
    return run("join", {id, room, std::to_string(max_peers), std::to_string(max_rooms), name_});
  }
  RedisReply relay(const std::string& from, const std::string& to, const std::string& text,
                   int most = 64) {
    return run("relay", {from, name_, to, std::to_string(most), "message", text});
  }

  std::vector<json> events;

 private:
  RedisScripts::Id id(const std::string& script) const {
    const auto& all = cluster_scripts();
    for (std::size_t i = 0; i < all.size(); ++i)
      if (all[i].name == script) return i;
    throw std::out_of_range(script);
  }

  boost::asio::io_context& context_;
  std::string name_;
  std::shared_ptr<RedisConnection> redis_;
  std::unique_ptr<RedisScripts> scripts_;
  std::shared_ptr<RedisSubscriber> subscriber_;
};

class ClusterScriptsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    a = std::make_unique<Node>(context, server, "nodeA");
    b = std::make_unique<Node>(context, server, "nodeB");
    ASSERT_TRUE(run_until(context, [&] { return a->ready() && b->ready(); }));
  }
  void TearDown() override {
    // Both stop before the loop drains: a running node keeps the loop busy.
    if (a) a->stop();
    if (b) b->stop();
    context.restart();
    context.run();
    a.reset();
    b.reset();
  }
  bool await_events(Node& node, std::size_t count) {
    return run_until(context, [&] { return node.events.size() >= count; });
  }

  RedisServer server;
  boost::asio::io_context context;
  std::unique_ptr<Node> a, b;
};

TEST_F(ClusterScriptsTest, JoinListsOthersInJoinOrderAndTellsOtherNodesOnce) {
  a->connect("pa1", "ta1");
  a->connect("pa2", "ta2");
  b->connect("pb1", "tb1");
  EXPECT_EQ(a->join("pa1", "room", 3).elements[0].text, "joined");
  EXPECT_EQ(a->join("pa2", "room", 3).elements[0].text, "joined");
  const RedisReply third = b->join("pb1", "room", 3);
  ASSERT_EQ(third.elements.size(), 5u);
  EXPECT_EQ(third.elements[0].text, "joined");
  EXPECT_THAT(texts(third.elements[2]), ElementsAre("pa1", "pa2"));
  EXPECT_THAT(texts(third.elements[3]), ElementsAre("nodeA", "nodeA"));
  // Node A hears of pb1 once, addressed to both of its peers; B tells its own.
  ASSERT_TRUE(await_events(*a, 1));
  EXPECT_EQ(a->events[0]["t"], "joined");
  EXPECT_EQ(a->events[0]["id"], "pb1");
  EXPECT_EQ(a->events[0]["to"], json::array({"pa1", "pa2"}));
  EXPECT_THAT(b->events, IsEmpty());

  const RedisReply room = a->run("room", {"room"});
  EXPECT_THAT(texts(room.elements[1]), ElementsAre("pa1", "pa2", "pb1"));
  const RedisReply rooms = b->run("rooms", {});
  ASSERT_EQ(rooms.elements.size(), 1u);
  EXPECT_EQ(rooms.elements[0].elements[0].text, "room");
  EXPECT_THAT(texts(rooms.elements[0].elements[2]), ElementsAre("pa1", "pa2", "pb1"));
  EXPECT_EQ(server.command({"GET", "parley:seated"}).text, "3");
}

TEST_F(ClusterScriptsTest, JoinRefusals) {
  a->connect("p1", "t1");
  a->connect("p2", "t2");
  a->connect("p3", "t3");
  EXPECT_EQ(a->join("nobody", "r").elements[0].text, "no_such_peer");
  EXPECT_EQ(a->join("p1", "r", 1, 1).elements[0].text, "joined");
  EXPECT_EQ(a->join("p1", "r", 1, 1).elements[0].text, "already_in_room");
  EXPECT_EQ(a->join("p2", "r", 1, 1).elements[0].text, "full");
  EXPECT_EQ(a->join("p2", "other", 1, 1).elements[0].text, "room_limit");
  EXPECT_EQ(a->join("p2", "other", 1, 2).elements[0].text, "joined");
}

TEST_F(ClusterScriptsTest, TwoNodesRacingForTheLastSeatGetExactlyOne) {
  a->connect("host", "t-host");
  ASSERT_EQ(a->join("host", "race").elements[0].text, "joined");
  constexpr int kRounds = 200;
  int a_won = 0, b_won = 0;
  for (int round = 0; round < kRounds; ++round) {
    const std::string x = "x" + std::to_string(round), y = "y" + std::to_string(round);
    a->connect(x, "");
    b->connect(y, "");
    std::optional<RedisReply> from_a, from_b;
    // Both joins are on the wire before either reply is read.
    a->start("join", {x, "race", "2", "100", "nodeA"}, from_a);
    b->start("join", {y, "race", "2", "100", "nodeB"}, from_b);
    ASSERT_TRUE(run_until(context, [&] { return from_a && from_b; }));
    const std::string ra = from_a->elements.at(0).text, rb = from_b->elements.at(0).text;
    ASSERT_TRUE((ra == "joined" && rb == "full") || (ra == "full" && rb == "joined"))
        << "round " << round << ": " << ra << " / " << rb;
    const bool a_joined = ra == "joined";
    (a_joined ? a_won : b_won)++;
    // The winner leaves again; the loser, in no room, just goes.
    Node& winner = a_joined ? *a : *b;
    Node& loser = a_joined ? *b : *a;
    ASSERT_EQ(winner.run("end", {a_joined ? x : y, winner.name(), "leave"}).elements[0].text,
              "race");
    ASSERT_EQ(loser.run("end", {a_joined ? y : x, loser.name(), "disconnect"}).elements[0].text,
              "");
  }
  EXPECT_EQ(a_won + b_won, kRounds);
  EXPECT_EQ(server.command({"ZCARD", "parley:room:race"}).integer, 1);
  EXPECT_EQ(server.command({"GET", "parley:seated"}).text, "1");
}

TEST_F(ClusterScriptsTest, LeaveTellsTheOthersAndTheLastOneDestroysTheRoom) {
  a->connect("p1", "t1");
  b->connect("p2", "t2");
  a->join("p1", "r");
  b->join("p2", "r");
  const RedisReply left = b->run("leave", {"p2", "nodeB", "leave"});
  EXPECT_EQ(left.elements[0].text, "left");
  EXPECT_THAT(texts(left.elements[2]), ElementsAre("p1"));
  ASSERT_TRUE(await_events(*a, 2));  // joined p2, then left p2
  EXPECT_EQ(a->events[1]["t"], "left");
  EXPECT_EQ(a->events[1]["reason"], "leave");
  EXPECT_EQ(a->events[1]["to"], json::array({"p1"}));
  EXPECT_EQ(b->run("leave", {"p2", "nodeB", "leave"}).elements[0].text, "none");

  a->run("leave", {"p1", "nodeA", "leave"});
  EXPECT_EQ(server.command({"EXISTS", "parley:room:r"}).integer, 0);
  EXPECT_EQ(server.command({"HEXISTS", "parley:rooms", "r"}).integer, 0);
  EXPECT_TRUE(a->run("room", {"r"}).is_nil());
}

TEST_F(ClusterScriptsTest, AnAdminKickOnAnotherNodeReachesThePeersNode) {
  a->connect("p1", "t1");
  a->connect("p2", "t2");
  a->join("p1", "r");
  a->join("p2", "r");
  EXPECT_EQ(b->run("leave", {"p1", "nodeB", "kicked"}).elements[0].text, "left");
  ASSERT_TRUE(await_events(*a, 2));
  // p2 hears that p1 was kicked, and p1's node is told to send it `left`.
  std::vector<std::string> kinds{a->events[0]["t"], a->events[1]["t"]};
  EXPECT_THAT(kinds, ::testing::UnorderedElementsAre("left", "removed"));
}

TEST_F(ClusterScriptsTest, RelayCrossesToEachNodeOnceAndChecksTheReceiver) {
  a->connect("pa1", "t1");
  a->connect("pa2", "t2");
  b->connect("pb1", "t3");
  b->connect("pb2", "t4");
  a->connect("outsider", "t5");
  const std::vector<std::pair<Node*, std::string>> seats{
      {a.get(), "pa1"}, {a.get(), "pa2"}, {b.get(), "pb1"}, {b.get(), "pb2"}};
  for (const auto& [node, id] : seats) ASSERT_EQ(node->join(id, "r", 4).elements[0].text, "joined");
  ASSERT_TRUE(await_events(*a, 2));  // pb1 and pb2 joined
  const std::size_t a_before = 2;

  const RedisReply all = b->relay("pb1", "", R"({"type":"message","data":1,"from":"pb1"})");
  EXPECT_EQ(all.elements[0].text, "ok");
  EXPECT_THAT(texts(all.elements[1]), ElementsAre("pb2"));  // local: B delivers in process
  ASSERT_TRUE(await_events(*a, a_before + 1));
  const json& event = a->events[a_before];
  EXPECT_EQ(event["t"], "relay");
  EXPECT_EQ(event["from"], "pb1");
  EXPECT_EQ(event["to"], json::array({"pa1", "pa2"}));  // one message for both
  EXPECT_EQ(event["text"], R"({"type":"message","data":1,"from":"pb1"})");

  const RedisReply one = b->relay("pb1", "pa2", "to pa2");
  EXPECT_THAT(texts(one.elements[1]), IsEmpty());
  ASSERT_TRUE(await_events(*a, a_before + 2));
  EXPECT_EQ(a->events[a_before + 1]["to"], json::array({"pa2"}));

  EXPECT_EQ(b->relay("pb1", "pb1", "x").elements[0].text, "unknown_peer");
  EXPECT_EQ(b->relay("pb1", "outsider", "x").elements[0].text, "unknown_peer");
  EXPECT_EQ(a->relay("outsider", "", "x").elements[0].text, "not_in_room");
}

// A lost peer's messages: those on their way to its node are handed over by
// `seal`, ahead of those kept in Redis meanwhile; a resume on another node gets
// them all, in order, and the token works once.
TEST_F(ClusterScriptsTest, LostSealClaimKeepsOrderAcrossNodes) {
  a->connect("lost", "tok-1");
  b->connect("sender", "tok-2");
  a->join("lost", "r");
  b->join("sender", "r");
  b->relay("sender", "", "m1");      // on its way to node A
  ASSERT_TRUE(await_events(*a, 2));  // `joined` of sender, then m1
  const std::size_t before = 2;
  ASSERT_GT(a->run("lost", {"lost", "nodeA", "15000"}).integer, 0);
  b->relay("sender", "", "m2");  // kept in Redis
  b->relay("sender", "", "m3");

  // Node B tries to resume it before A handed over: not yet.
  b->connect("provisional", "tok-new-0");
  EXPECT_EQ(b->run("claim", {"tok-1", "nodeB", "tok-new-1", "provisional"}).elements[0].text,
            "wait");
  // Node A's channel brought m1, then the seal marker: it hands m1 over.
  ASSERT_TRUE(await_events(*a, before + 1));
  EXPECT_EQ(a->events[before - 1]["text"], "m1");
  EXPECT_EQ(a->events[before]["t"], "seal");
  EXPECT_EQ(a->run("seal", {"lost", "nodeA", "64", "m1"}).integer, 1);

  const RedisReply resumed = b->run("claim", {"tok-1", "nodeB", "tok-new-1", "provisional"});
  ASSERT_EQ(resumed.elements[0].text, "resumed");
  EXPECT_EQ(resumed.elements[1].text, "lost");
  EXPECT_EQ(resumed.elements[2].text, "r");
  EXPECT_THAT(texts(resumed.elements[3]), ElementsAre("sender"));
  EXPECT_THAT(texts(resumed.elements[5]), ElementsAre("m1", "m2", "m3"));
  // Single use: the old token is spent, the new one names the peer.
  EXPECT_EQ(a->run("claim", {"tok-1", "nodeA", "tok-x", ""}).elements[0].text, "failed");
  EXPECT_EQ(server.command({"GET", "parley:token:tok-new-1"}).text, "lost");
  EXPECT_EQ(server.command({"EXISTS", "parley:peer:provisional"}).integer, 0);
  // It is live on B now: B's messages to it stay local.
  EXPECT_THAT(texts(b->relay("sender", "", "m4").elements[1]), ElementsAre("lost"));
}

TEST_F(ClusterScriptsTest, KeptMessagesAreCappedOldestFirst) {
  a->connect("lost", "tok-1");
  b->connect("sender", "tok-2");
  a->join("lost", "r");
  b->join("sender", "r");
  a->run("lost", {"lost", "nodeA", "15000"});
  for (const char* text : {"m1", "m2", "m3"}) b->relay("sender", "", text, 2);
  a->run("seal", {"lost", "nodeA", "2", "m0"});
  b->connect("p", "t-p");
  const RedisReply resumed = b->run("claim", {"tok-1", "nodeB", "tok-new", "p"});
  EXPECT_THAT(texts(resumed.elements[5]), ElementsAre("m2", "m3"));
}

TEST_F(ClusterScriptsTest, ATokenIsClaimedOnceWhenTwoNodesRace) {
  for (int round = 0; round < 50; ++round) {
    const std::string id = "peer" + std::to_string(round), token = "token" + std::to_string(round);
    a->connect(id, token);
    a->run("lost", {id, "nodeA", "15000"});
    a->run("seal", {id, "nodeA", "64"});
    std::optional<RedisReply> on_a, on_b;
    a->start("claim", {token, "nodeA", "new-a" + std::to_string(round), ""}, on_a);
    b->start("claim", {token, "nodeB", "new-b" + std::to_string(round), ""}, on_b);
    ASSERT_TRUE(run_until(context, [&] { return on_a && on_b; }));
    const std::string ra = on_a->elements.at(0).text, rb = on_b->elements.at(0).text;
    ASSERT_TRUE((ra == "resumed" && rb == "failed") || (ra == "failed" && rb == "resumed"))
        << ra << " / " << rb;
  }
}

TEST_F(ClusterScriptsTest, ResumingALivePeerSupersedesItsOldConnection) {
  a->connect("p", "tok");
  b->connect("q", "tok-q");
  const RedisReply resumed = b->run("claim", {"tok", "nodeB", "tok2", "q"});
  EXPECT_EQ(resumed.elements[0].text, "resumed");
  ASSERT_TRUE(await_events(*a, 1));
  EXPECT_EQ(a->events[0]["t"], "superseded");
  EXPECT_EQ(a->events[0]["id"], "p");
  EXPECT_EQ(server.command({"SISMEMBER", "parley:nodepeers:nodeA", "p"}).integer, 0);
  EXPECT_EQ(server.command({"SISMEMBER", "parley:nodepeers:nodeB", "p"}).integer, 1);
}

TEST_F(ClusterScriptsTest, HeartbeatSaysWhetherTheNodesRecordLapsed) {
  EXPECT_EQ(a->run("heartbeat", {"nodeA", "5000"}).elements[0].integer, 0);  // new
  EXPECT_EQ(a->run("heartbeat", {"nodeA", "5000"}).elements[0].integer, 1);  // intact
  const auto ttl = server.command({"PTTL", "parley:node:nodeA"}).integer;
  EXPECT_GT(ttl, 0);
  EXPECT_LE(ttl, 5000);
  server.command({"DEL", "parley:node:nodeA"});  // as if it had expired
  EXPECT_EQ(a->run("heartbeat", {"nodeA", "5000"}).elements[0].integer, 0);
}

// A node dies (its heartbeat lapses): its resumable peers are kept for the grace
// and then time out; the others end at once; afterwards no key names any of them.
TEST_F(ClusterScriptsTest, NothingOfADeadNodeStays) {
  a->run("heartbeat", {"nodeA", "60000"});
  b->run("heartbeat", {"nodeB", "60000"});
  const std::vector<std::string> dead_peers{"deadpeerNative1", "deadpeerSocketio2",
                                            "deadpeerNoRoom3", "deadpeerLost4"};
  a->connect("deadpeerNative1", "deadtoken1");
  a->connect("deadpeerSocketio2", "", false);
  a->connect("deadpeerNoRoom3", "deadtoken3");
  a->connect("deadpeerLost4", "deadtoken4");
  b->connect("livepeer1", "livetoken1");
  b->connect("livepeer2", "livetoken2");
  a->join("deadpeerNative1", "room1", 3);
  a->join("deadpeerSocketio2", "room1", 3);
  b->join("livepeer1", "room1", 3);
  a->join("deadpeerLost4", "room2");
  b->join("livepeer2", "room2");
  b->relay("livepeer2", "", "for deadpeerLost4");
  a->run("lost", {"deadpeerLost4", "nodeA", "1"});  // lost, never sealed: A dies
  b->relay("livepeer2", "", "kept for deadpeerLost4");

  // Node A is killed: its last heartbeat (a short TTL here) lapses.
  a->run("heartbeat", {"nodeA", "100"});
  EXPECT_EQ(b->run("reap", {"1", "100"}).elements[1].integer, 0);  // alive: nothing to do
  ASSERT_TRUE(run_until(context, [&] {
    return server.command({"EXISTS", "parley:node:nodeA"}).integer == 0;
  }));
  const std::size_t before = b->events.size();
  const RedisReply reaped = b->run("reap", {"1", "100"});
  EXPECT_EQ(reaped.elements[0].integer, 1);  // one dead node done
  EXPECT_EQ(reaped.elements[1].integer, 4);  // four peers handled
  EXPECT_EQ(reaped.elements[2].integer, 0);
  // The socket.io peer (no resume) left at once; the others are away.
  ASSERT_TRUE(await_events(*b, before + 1));
  EXPECT_EQ(b->events[before]["id"], "deadpeerSocketio2");
  EXPECT_EQ(b->events[before]["reason"], "disconnect");
  EXPECT_EQ(server.command({"ZCARD", "parley:away"}).integer, 3);
  EXPECT_EQ(b->run("reap", {"1", "100"}).elements[0].integer, 0);  // done once

  // The grace (1 ms) runs out; expire (run periodically by every node) ends them.
  std::vector<std::string> expired;
  ASSERT_TRUE(run_until(context, [&] {
    for (const auto& entry : b->run("expire", {"100"}).elements)
      expired.push_back(entry.elements[0].text);
    return expired.size() == 3;
  }));
  ASSERT_TRUE(await_events(*b, before + 3));
  for (std::size_t i = before + 1; i < before + 3; ++i) {
    EXPECT_EQ(b->events[i]["t"], "left");
    EXPECT_EQ(b->events[i]["reason"], "timeout");
  }

  // Every key with everything it holds: no trace of any peer of node A.
  const auto keys = server.dump();
  for (const auto& key : keys)
    for (const auto& id : dead_peers) EXPECT_THAT(key, Not(HasSubstr(id))) << key;
  for (const char* token : {"deadtoken1", "deadtoken3", "deadtoken4"})
    for (const auto& key : keys) EXPECT_THAT(key, Not(HasSubstr(token))) << key;
  EXPECT_THAT(keys, Not(::testing::Contains(HasSubstr("nodeA"))));
  // Node B's peers are untouched.
  EXPECT_EQ(server.command({"ZCARD", "parley:room:room1"}).integer, 1);
  EXPECT_EQ(server.command({"ZCARD", "parley:room:room2"}).integer, 1);
  EXPECT_EQ(b->run("claim", {"deadtoken1", "nodeB", "x", ""}).elements[0].text, "failed");
}

// Redis restarted empty: each node registers its own peers again with their
// join sequence numbers, and the rooms come back in join order.
TEST_F(ClusterScriptsTest, RestoreRebuildsRoomsInJoinOrder) {
  a->connect("first", "tok-first");
  b->connect("second", "tok-second");
  a->connect("third", "tok-third");
  const auto seq_of = [](const RedisReply& joined) {
    return std::to_string(joined.elements.at(1).integer);
  };
  const std::string s1 = seq_of(a->join("first", "r", 4));
  const std::string s2 = seq_of(b->join("second", "r", 4));
  const std::string s3 = seq_of(a->join("third", "r", 4));

  server.command({"FLUSHALL"});
  EXPECT_TRUE(a->run("room", {"r"}).is_nil());
  // Node B comes back first; node A restores its two.
  // Per peer: id, token, resumable, room, seq, metadata, pinned, relay grants.
  EXPECT_THAT(b->run("restore", {"nodeB", "1", "second", "tok-second", "1", "r", s2, "{}", "0", ""})
                  .elements,
              IsEmpty());
  a->run("restore", {"nodeA", "2", "first", "tok-first", "1", "r", s1, "{}", "0", "", "third",
                     "tok-third", "1", "r", s3, "{}", "0", ""});
  EXPECT_THAT(texts(a->run("room", {"r"}).elements[1]), ElementsAre("first", "second", "third"));
  EXPECT_EQ(server.command({"GET", "parley:seated"}).text, "3");
  // Restoring again changes nothing; a newcomer is seated after them.
  a->run("restore", {"nodeA", "2", "first", "tok-first", "1", "r", s1, "{}", "0", "", "third",
                     "tok-third", "1", "r", s3, "{}", "0", ""});
  EXPECT_EQ(server.command({"GET", "parley:seated"}).text, "3");
  b->connect("fourth", "tok-fourth");
  const RedisReply fourth = b->join("fourth", "r", 4);
  EXPECT_THAT(texts(fourth.elements[2]), ElementsAre("first", "second", "third"));
  // Tokens work again, and a peer that moved meanwhile is reported, not taken.
  EXPECT_EQ(server.command({"GET", "parley:token:tok-first"}).text, "first");
  EXPECT_THAT(
      texts(b->run("restore", {"nodeB", "1", "first", "tok-first", "1", "r", s1, "{}", "0", ""})),
      ElementsAre("first"));
}

TEST_F(ClusterScriptsTest, EndForgetsThePeer) {
  a->connect("gone", "tok-gone");
  b->connect("stays", "tok-stays");
  a->join("gone", "r");
  b->join("stays", "r");
  const RedisReply ended = a->run("end", {"gone", "nodeA", "disconnect"});
  EXPECT_EQ(ended.elements[0].text, "r");
  ASSERT_TRUE(await_events(*b, 1));
  EXPECT_EQ(b->events.back()["reason"], "disconnect");
  for (const auto& key : server.dump()) EXPECT_THAT(key, Not(HasSubstr("gone"))) << key;
  // Only the peer's own node may end it.
  EXPECT_EQ(a->run("end", {"stays", "nodeA", "disconnect"}).elements[0].text, "");
  EXPECT_EQ(server.command({"EXISTS", "parley:peer:stays"}).integer, 1);
}

}  // namespace
}  // namespace parley
