// The Redis client on Asio against a real redis-server: replies, pipelining,
// login (password, ACL user, database), failing fast while down, reconnection
// with backoff after a restart, replies lost with the connection.
#include "cluster/redis_connection.hpp"

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
using ::testing::HasSubstr;

RedisOptions options_for(const std::string& url) {
  RedisOptions options;
  std::string error;
  auto parsed = parse_redis_url(url, error);
  EXPECT_TRUE(parsed) << error;
  options.url = parsed.value_or(RedisUrl{});
  options.backoff_initial = 0.02;
  options.backoff_most = 0.2;
  options.seed = 1;
  return options;
}

class RedisConnectionTest : public ::testing::Test {
 protected:
  std::shared_ptr<RedisConnection> connect(const std::string& url, bool start = true) {
    auto connection = RedisConnection::create(context.get_executor(), options_for(url));
    if (start) connection->start();
    return connection;
  }
  RedisReply call(RedisConnection& connection, std::vector<std::string> args) {
    std::optional<RedisReply> reply;
    connection.command(std::move(args), [&](RedisReply r) { reply = std::move(r); });
    EXPECT_TRUE(run_until(context, [&] { return reply.has_value(); }));
    return reply.value_or(RedisReply::error("no reply"));
  }
  void TearDown() override {
    for (auto& connection : connections) connection->stop();
    context.restart();
    context.run();  // let every handler finish
  }

  boost::asio::io_context context;
  std::vector<std::shared_ptr<RedisConnection>> connections;
};

TEST_F(RedisConnectionTest, RepliesOfEveryKind) {
  RedisServer server;
  auto redis = connections.emplace_back(connect(server.url()));
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));
  EXPECT_EQ(call(*redis, {"SET", "k", "v"}).kind, RedisReply::Kind::status);
  const RedisReply value = call(*redis, {"GET", "k"});
  EXPECT_EQ(value.kind, RedisReply::Kind::string);
  EXPECT_EQ(value.text, "v");
  EXPECT_TRUE(call(*redis, {"GET", "missing"}).is_nil());
  EXPECT_EQ(call(*redis, {"INCRBY", "n", "41"}).integer, 41);
  call(*redis, {"RPUSH", "l", "a", std::string("b\0c", 3)});
  const RedisReply list = call(*redis, {"LRANGE", "l", "0", "-1"});
  ASSERT_EQ(list.elements.size(), 2u);
  EXPECT_EQ(list.elements[1].text, std::string("b\0c", 3));  // binary-safe
  EXPECT_TRUE(call(*redis, {"NOSUCHCOMMAND"}).is_error("ERR"));
}

TEST_F(RedisConnectionTest, PipelinesManyCommandsInOrder) {
  RedisServer server;
  auto redis = connections.emplace_back(connect(server.url()));
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));
  std::vector<std::int64_t> replies;
  constexpr int kCommands = 2000;
  for (int i = 0; i < kCommands; ++i)  // all issued before the first reply is read
    redis->command({"INCR", "counter"}, [&](RedisReply r) { replies.push_back(r.integer); });
  ASSERT_TRUE(run_until(context, [&] { return replies.size() == kCommands; }));
  for (int i = 0; i < kCommands; ++i) ASSERT_EQ(replies[i], i + 1);
}

TEST_F(RedisConnectionTest, LogsInWithPasswordAndSelectsTheDatabase) {
  RedisServer server({.password = "s3cret"});
  auto redis = connections.emplace_back(
      connect("redis://:s3cret@127.0.0.1:" + std::to_string(server.port()) + "/3"));
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));
  call(*redis, {"SET", "in-db-3", "1"});
  EXPECT_EQ(server.command({"EXISTS", "in-db-3"}, 3).integer, 1);
  EXPECT_EQ(server.command({"EXISTS", "in-db-3"}, 0).integer, 0);
  EXPECT_EQ(call(*redis, {"CLIENT", "GETNAME"}).text, "parley");
}

TEST_F(RedisConnectionTest, LogsInAsAnAclUser) {
  RedisServer server;
  ASSERT_FALSE(
      server.command({"ACL", "SETUSER", "parley", "on", ">pw", "~*", "&*", "+@all"}).is_error());
  auto redis = connections.emplace_back(
      connect("redis://parley:pw@127.0.0.1:" + std::to_string(server.port())));
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));
  EXPECT_EQ(call(*redis, {"ACL", "WHOAMI"}).text, "parley");
}

TEST_F(RedisConnectionTest, AWrongPasswordNeverConnectsAndSaysWhy) {
  RedisServer server({.password = "right"});
  auto redis = connections.emplace_back(
      connect("redis://:wrong@127.0.0.1:" + std::to_string(server.port())));
  ASSERT_TRUE(
      run_until(context, [&] { return redis->last_error().find("AUTH") != std::string::npos; }));
  EXPECT_FALSE(redis->connected());
  EXPECT_THAT(redis->last_error(), HasSubstr("WRONGPASS"));
  EXPECT_THAT(call(*redis, {"PING"}).text, HasSubstr("not connected"));
}

TEST_F(RedisConnectionTest, CommandsFailAtOnceWhileRedisIsDown) {
  RedisServer server;
  server.stop();
  auto redis = connections.emplace_back(connect(server.url()));
  ASSERT_TRUE(run_until(context, [&] { return !redis->last_error().empty(); }));
  const RedisReply reply = call(*redis, {"PING"});
  EXPECT_TRUE(reply.is_error());
  EXPECT_THAT(reply.text, HasSubstr("redis is not connected"));
  EXPECT_THAT(reply.text, HasSubstr(redis->last_error()));
}

TEST_F(RedisConnectionTest, ReconnectsWithBackoffAfterARestart) {
  RedisServer server;
  auto redis = connections.emplace_back(connect(server.url(), false));
  std::vector<std::string> downs;
  int ups = 0;
  redis->on_connected([&] { ++ups; });
  redis->on_down([&](const std::string& why) { downs.push_back(why); });
  redis->start();
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));

  server.kill();
  ASSERT_TRUE(run_until(context, [&] { return downs.size() == 1; }));
  EXPECT_FALSE(redis->connected());
  EXPECT_THAT(call(*redis, {"PING"}).text, HasSubstr("not connected"));
  // Several attempts fail while it is down (the backoff keeps trying)...
  ASSERT_TRUE(
      run_until(context, [&] { return redis->last_error().find("refused") != std::string::npos; }));
  server.start();
  // ...and one succeeds once it is back.
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));
  EXPECT_EQ(redis->connections(), 2u);
  EXPECT_EQ(ups, 2);
  EXPECT_EQ(call(*redis, {"PING"}).text, "PONG");
}

TEST_F(RedisConnectionTest, CommandsInFlightFailWhenTheConnectionIsLost) {
  RedisServer server;
  auto redis = connections.emplace_back(connect(server.url()));
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));
  std::optional<RedisReply> blocked;
  redis->command({"BLPOP", "never", "0"}, [&](RedisReply r) { blocked = std::move(r); });
  // Wait until Redis holds it blocked, then cut the connection from outside.
  ASSERT_TRUE(run_until(context, [&] {
    return server.command({"INFO", "clients"}).text.find("blocked_clients:1") != std::string::npos;
  }));
  server.command({"CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes"});
  ASSERT_TRUE(run_until(context, [&] { return blocked.has_value(); }));
  EXPECT_TRUE(blocked->is_error());
  EXPECT_THAT(blocked->text, HasSubstr("connection lost"));
  ASSERT_TRUE(run_until(context, [&] { return redis->connections() == 2 && redis->connected(); }));
}

TEST_F(RedisConnectionTest, ResolvesAHostNameAndTriesEachAddress) {
  RedisServer server;  // on 127.0.0.1 only: where localhost is ::1 first, that one fails
  auto redis =
      connections.emplace_back(connect("redis://localhost:" + std::to_string(server.port())));
  ASSERT_TRUE(run_until(context, [&] { return redis->connected(); }));
  EXPECT_EQ(call(*redis, {"PING"}).text, "PONG");
}

}  // namespace
}  // namespace parley
