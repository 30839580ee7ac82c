// The subscriber connection (messages, re-subscribing after a Redis restart,
// unsubscribing) and the script registry (EVALSHA, reloading after NOSCRIPT),
// against a real redis-server.
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <boost/asio/io_context.hpp>

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
using ::testing::Pair;

RedisOptions options_for(const RedisServer& server) {
  RedisOptions options;
  std::string error;
  options.url = parse_redis_url(server.url(), error).value();
  options.backoff_initial = 0.02;
  options.backoff_most = 0.2;
  return options;
}

class PubSubTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (subscriber) subscriber->stop();
    if (publisher) publisher->stop();
    context.restart();
    context.run();
  }
  RedisReply call(std::vector<std::string> args) {
    std::optional<RedisReply> reply;
    publisher->command(std::move(args), [&](RedisReply r) { reply = std::move(r); });
    EXPECT_TRUE(run_until(context, [&] { return reply.has_value(); }));
    return reply.value_or(RedisReply::error("no reply"));
  }
  void start(const RedisServer& server) {
    subscriber =
        RedisSubscriber::create(context.get_executor(), options_for(server),
                                [this](const std::string& channel, const std::string& payload) {
                                  received.emplace_back(channel, payload);
                                });
    subscriber->on_subscribed([this] { ++subscribed_events; });
    publisher = RedisConnection::create(context.get_executor(), options_for(server));
    subscriber->start();
    publisher->start();
  }

  boost::asio::io_context context;
  std::shared_ptr<RedisSubscriber> subscriber;
  std::shared_ptr<RedisConnection> publisher;
  std::vector<std::pair<std::string, std::string>> received;
  int subscribed_events = 0;
};

TEST_F(PubSubTest, DeliversMessagesOfSubscribedChannelsOnly) {
  RedisServer server;
  start(server);
  subscriber->subscribe("a");
  subscriber->subscribe("b");
  ASSERT_TRUE(
      run_until(context, [&] { return subscriber->subscribed() && publisher->connected(); }));
  EXPECT_EQ(call({"PUBLISH", "a", "1"}).integer, 1);
  EXPECT_EQ(call({"PUBLISH", "c", "x"}).integer, 0);
  EXPECT_EQ(call({"PUBLISH", "b", "2"}).integer, 1);
  ASSERT_TRUE(run_until(context, [&] { return received.size() == 2; }));
  EXPECT_THAT(received, ElementsAre(Pair("a", "1"), Pair("b", "2")));

  subscriber->unsubscribe("a");
  ASSERT_TRUE(run_until(context, [&] { return call({"PUBLISH", "a", "3"}).integer == 0; }));
  EXPECT_EQ(call({"PUBLISH", "b", "4"}).integer, 1);
  ASSERT_TRUE(run_until(context, [&] { return received.size() == 3; }));
  EXPECT_THAT(received.back(), Pair("b", "4"));
}

TEST_F(PubSubTest, SubscribesAgainAfterRedisRestarts) {
  RedisServer server;
  start(server);
  subscriber->subscribe("node-1");
  ASSERT_TRUE(
      run_until(context, [&] { return subscriber->subscribed() && publisher->connected(); }));
  EXPECT_EQ(subscribed_events, 1);

  server.kill();
  ASSERT_TRUE(run_until(context, [&] { return !subscriber->subscribed(); }));
  server.start();
  ASSERT_TRUE(run_until(context, [&] {
    return subscriber->subscribed() && subscriber->connections() == 2 && publisher->connected();
  }));
  EXPECT_EQ(subscribed_events, 2);
  // The new Redis knows the subscription: the message is delivered.
  EXPECT_EQ(call({"PUBLISH", "node-1", "after restart"}).integer, 1);
  ASSERT_TRUE(run_until(context, [&] { return received.size() == 1; }));
  EXPECT_THAT(received, ElementsAre(Pair("node-1", "after restart")));
}

class ScriptsTest : public ::testing::Test {
 protected:
  void TearDown() override {
    if (redis) redis->stop();
    context.restart();
    context.run();
  }
  RedisReply run(RedisScripts::Id id, std::vector<std::string> args) {
    std::optional<RedisReply> reply;
    scripts->run(id, {}, std::move(args), [&](RedisReply r) { reply = std::move(r); });
    EXPECT_TRUE(run_until(context, [&] { return reply.has_value(); }));
    return reply.value_or(RedisReply::error("no reply"));
  }

  boost::asio::io_context context;
  std::shared_ptr<RedisConnection> redis;
  std::unique_ptr<RedisScripts> scripts;
};

TEST_F(ScriptsTest, LoadsOnConnectAndReloadsAfterNoscript) {
  RedisServer server;
  redis = RedisConnection::create(context.get_executor(), options_for(server));
  scripts = std::make_unique<RedisScripts>(redis);
  const auto echo = scripts->add("echo", "return ARGV[1] .. '!'");
  int loads = 0;
  redis->on_connected([&] {
    scripts->load_all([&](const std::string& error) {
      EXPECT_EQ(error, "");
      ++loads;
    });
  });
  redis->start();
  ASSERT_TRUE(run_until(context, [&] { return loads == 1; }));
  EXPECT_EQ(server.command({"SCRIPT", "EXISTS", scripts->script(echo).sha1}).elements.at(0).integer,
            1);
  EXPECT_EQ(run(echo, {"hi"}).text, "hi!");
  EXPECT_EQ(scripts->reloads(), 0u);

  server.command({"SCRIPT", "FLUSH"});
  EXPECT_EQ(run(echo, {"again"}).text, "again!");  // NOSCRIPT is never seen
  EXPECT_EQ(scripts->reloads(), 1u);

  // A restarted Redis has no scripts; they are loaded again on reconnect.
  server.kill();
  server.start();
  ASSERT_TRUE(run_until(context, [&] { return loads == 2; }));
  EXPECT_EQ(run(echo, {"back"}).text, "back!");
  EXPECT_EQ(scripts->reloads(), 1u);
}

TEST_F(ScriptsTest, EveryClusterScriptIsValidLua) {
  RedisServer server;
  for (const auto& script : cluster_scripts()) {
    const RedisReply reply = server.command({"SCRIPT", "LOAD", script.source});
    EXPECT_FALSE(reply.is_error()) << script.name << ": " << reply.text;
    EXPECT_EQ(reply.text, script_sha1(script.source)) << script.name;
  }
  EXPECT_GE(cluster_scripts().size(), 14u);
}

}  // namespace
}  // namespace parley
