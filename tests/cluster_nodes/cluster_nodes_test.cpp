// Several parleyd on one redis-server (cluster-v1.md "Readiness", "Node
// liveness", "Nothing of a dead node stays"): readiness follows Redis, a node's
// heartbeat key carries a TTL, and a node killed or stopped leaves nothing in
// Redis. Every daemon and the Redis are started by the test on 127.0.0.1 and
// stopped at its end.
#include <signal.h>

#include <algorithm>

#include <gtest/gtest.h>

#include "cluster_nodes.hpp"

namespace parley::test {
namespace {

std::vector<std::string> registered_nodes(const RedisServer& redis) {
  std::vector<std::string> ids;
  for (const auto& element : redis.command({"ZRANGE", "parley:nodes", "0", "-1"}).elements)
    ids.push_back(element.text);
  return ids;
}

bool registered(const RedisServer& redis, const std::string& node) {
  const auto ids = registered_nodes(redis);
  return std::find(ids.begin(), ids.end(), node) != ids.end();
}

TEST(ClusterNodes, ThreeNodesRegisterWithAHeartbeatThatExpires) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 3);
  EXPECT_EQ(registered_nodes(redis).size(), 3u);
  for (auto& node : nodes) {
    EXPECT_TRUE(registered(redis, node->node_id())) << node->node_id();
    // The heartbeat key has a TTL, so a node that dies leaves it to lapse.
    const auto ttl = redis.command({"PTTL", "parley:node:" + node->node_id()}).integer;
    EXPECT_GT(ttl, 0) << node->node_id();
    EXPECT_EQ(http_get(node->port(), "/healthz").status, 200u);
  }
  EXPECT_NE(nodes[0]->node_id(), nodes[1]->node_id());
  EXPECT_NE(nodes[1]->node_id(), nodes[2]->node_id());
}

TEST(ClusterNodes, NotReadyUntilRedisIsReachable) {
  RedisServer redis;
  redis.stop();
  ClusterNode node(redis.url());
  EXPECT_EQ(node.readyz(), 503u);
  EXPECT_EQ(http_get(node.port(), "/healthz").status, 200u);
  redis.start();
  ASSERT_TRUE(node.await_readyz(200)) << node.process().log();
  EXPECT_TRUE(registered(redis, node.node_id()));
}

TEST(ClusterNodes, ReadyzFollowsARedisOutageAndTheNodesRegisterAgain) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2);
  redis.stop();
  for (auto& node : nodes) {
    EXPECT_TRUE(node->await_readyz(503)) << node->process().log();
    EXPECT_EQ(http_get(node->port(), "/healthz").status, 200u);
  }
  redis.start();  // empty: nothing was saved
  for (auto& node : nodes) {
    EXPECT_TRUE(node->await_readyz(200)) << node->process().log();
    EXPECT_TRUE(registered(redis, node->node_id())) << node->node_id();
  }
}

TEST(ClusterNodes, AKilledNodeLeavesNothingInRedis) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2);
  const std::string dead = nodes[1]->node_id();
  ASSERT_TRUE(redis_mentions(redis, dead));
  nodes[1]->process().signal(SIGKILL);
  EXPECT_EQ(nodes[1]->process().wait_exit(), 128 + SIGKILL);
  // Its heartbeat key lapses (TTL), then the survivor's sweep reaps it.
  EXPECT_TRUE(TestServer::eventually([&] { return !redis_mentions(redis, dead); }, 30s))
      << testing::PrintToString(redis.dump());
  EXPECT_EQ(nodes[0]->readyz(), 200u);
  EXPECT_TRUE(registered(redis, nodes[0]->node_id()));
}

TEST(ClusterNodes, SigtermDeletesTheHeartbeatBeforeTheExit) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 2);
  const std::string leaving = nodes[1]->node_id();
  nodes[1]->process().signal(SIGTERM);
  EXPECT_EQ(nodes[1]->process().wait_exit(5s), 0) << nodes[1]->process().log();
  // Gone when the process is: the others need not wait for the TTL.
  EXPECT_EQ(redis.command({"EXISTS", "parley:node:" + leaving}).integer, 0);
  EXPECT_TRUE(TestServer::eventually([&] { return !redis_mentions(redis, leaving); }, 10s))
      << testing::PrintToString(redis.dump());
  EXPECT_EQ(nodes[0]->readyz(), 200u);
}

TEST(ClusterNodes, SigtermWithRedisDownStillExitsZero) {
  RedisServer redis;
  auto nodes = start_nodes(redis, 1);
  redis.stop();
  ASSERT_TRUE(nodes[0]->await_readyz(503));
  nodes[0]->process().signal(SIGTERM);
  EXPECT_EQ(nodes[0]->process().wait_exit(5s), 0) << nodes[0]->process().log();
}

}  // namespace
}  // namespace parley::test
