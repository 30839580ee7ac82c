// A node's backplane against a real redis-server: readiness (and losing it while
// Redis is away), the restore signal after Redis comes back empty, and a dead
// node's peers timing out on the nodes that remain, with nothing of them left.
#include "cluster/cluster_backplane.hpp"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

#include "event_loop.hpp"
#include "redis_server.hpp"

namespace parley {
namespace {

using test::RedisServer;
using test::run_until;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

BackplaneOptions fast_options(const RedisServer& server, const std::string& node) {
  BackplaneOptions options;
  std::string error;
  options.redis.url = parse_redis_url(server.url(), error).value();
  options.redis.backoff_initial = 0.02;
  options.redis.backoff_most = 0.2;
  options.node_id = node;
  // Short periods so the test's events come soon; nothing here measures them.
  options.heartbeat_interval = 0.05;
  options.heartbeat_ttl = 0.3;
  options.sweep_interval = 0.05;
  options.resume_grace = 0.2;
  return options;
}

class BackplaneTest : public ::testing::Test {
 protected:
  std::shared_ptr<ClusterBackplane> make(const std::string& node, double ttl = 0.3) {
    BackplaneOptions options = fast_options(server, node);
    options.heartbeat_ttl = ttl;
    auto backplane = ClusterBackplane::create(context.get_executor(), options);
    backplanes.push_back(backplane);
    return backplane;
  }
  RedisReply run(ClusterBackplane& node, const std::string& script, std::vector<std::string> args) {
    std::optional<RedisReply> reply;
    node.run(script, std::move(args), [&](RedisReply r) { reply = std::move(r); });
    EXPECT_TRUE(run_until(context, [&] { return reply.has_value(); })) << script;
    return reply.value_or(RedisReply::error("no reply"));
  }
  void TearDown() override {
    for (auto& backplane : backplanes) backplane->stop();
    context.restart();
    context.run();
  }

  RedisServer server;
  boost::asio::io_context context;
  std::vector<std::shared_ptr<ClusterBackplane>> backplanes;
};

TEST_F(BackplaneTest, ReadyWhileRedisServesAndRestoresAfterAnEmptyRestart) {
  auto node = make("nodeA");
  int restores = 0;
  std::vector<bool> changes;
  node->on_restore_needed([&] { ++restores; });
  node->on_ready_changed([&](bool ready) { changes.push_back(ready); });
  node->start();
  ASSERT_TRUE(run_until(context, [&] { return node->ready(); }));
  EXPECT_EQ(restores, 1);  // a new node: nothing of it in Redis yet
  EXPECT_EQ(server.command({"EXISTS", "parley:node:nodeA"}).integer, 1);

  server.kill();
  ASSERT_TRUE(run_until(context, [&] { return !node->ready(); }));
  server.start();  // empty: no save, no append-only file
  ASSERT_TRUE(run_until(context, [&] { return node->ready() && restores == 2; }));
  EXPECT_THAT(changes, ElementsAre(true, false, true));
  // Heartbeats go on: the record survives from now on.
  ASSERT_TRUE(run_until(context, [&] {
    return server.command({"ZSCORE", "parley:nodes", "nodeA"}).kind == RedisReply::Kind::string;
  }));
  EXPECT_EQ(restores, 2);
}

TEST_F(BackplaneTest, ADeadNodesPeersTimeOutOnTheOthersAndNothingOfThemStays) {
  auto a = make("nodeA");
  auto b = make("nodeB");
  std::vector<NodeEvent> b_events;
  b->on_event([&](const NodeEvent& event) { b_events.push_back(event); });
  a->start();
  b->start();
  ASSERT_TRUE(run_until(context, [&] { return a->ready() && b->ready(); }));

  ASSERT_EQ(run(*a, "connect", {"nodeA", "doomedPeer", "doomedToken", "1"}).integer, 1);
  ASSERT_EQ(run(*b, "connect", {"nodeB", "survivor", "survivorToken", "1"}).integer, 1);
  run(*a, "join", {"doomedPeer", "room", "2", "100", "nodeA"});
  run(*b, "join", {"survivor", "room", "2", "100", "nodeB"});

  // Node A dies: no more heartbeats, no goodbye.
  a->stop();
  ASSERT_TRUE(run_until(context, [&] { return !b_events.empty(); }));
  ASSERT_EQ(b_events.size(), 1u);
  EXPECT_EQ(b_events[0].kind, NodeEvent::Kind::left);
  EXPECT_EQ(b_events[0].id, "doomedPeer");
  EXPECT_EQ(b_events[0].reason, "timeout");
  EXPECT_EQ(b_events[0].room, "room");
  EXPECT_THAT(b_events[0].to, ElementsAre("survivor"));

  for (const auto& key : server.dump()) {
    EXPECT_THAT(key, Not(HasSubstr("doomed"))) << key;
    EXPECT_THAT(key, Not(HasSubstr("nodeA"))) << key;
  }
  EXPECT_EQ(server.command({"ZCARD", "parley:room:room"}).integer, 1);
}

TEST_F(BackplaneTest, ARetiringNodeIsCleanedUpWithoutWaitingForItsTtl) {
  auto a = make("nodeA", 3600);  // only its retirement can make it look dead
  auto b = make("nodeB");
  a->start();
  b->start();
  ASSERT_TRUE(run_until(context, [&] { return a->ready() && b->ready(); }));
  ASSERT_EQ(run(*a, "connect", {"nodeA", "leaving", "", "0"}).integer, 1);
  EXPECT_GT(server.command({"PTTL", "parley:node:nodeA"}).integer, 60000);
  a->stop(true);
  ASSERT_TRUE(run_until(context, [&] {
    return server.command({"EXISTS", "parley:peer:leaving"}).integer == 0;
  }));
  EXPECT_EQ(server.command({"ZSCORE", "parley:nodes", "nodeA"}).kind, RedisReply::Kind::nil);
}

}  // namespace
}  // namespace parley
