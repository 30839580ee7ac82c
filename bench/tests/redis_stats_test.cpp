#include "redis_stats.hpp"

#include <gtest/gtest.h>

namespace loadgen {
namespace {

// As Redis 7.0 answers INFO commandstats and INFO cpu (trimmed).
constexpr std::string_view kInfo =
    "# Commandstats\r\n"
    "cmdstat_evalsha:calls=1200,usec=9000,usec_per_call=7.50,rejected_calls=0,failed_calls=0\r\n"
    "cmdstat_publish:calls=1000,usec=2000,usec_per_call=2.00,rejected_calls=0,failed_calls=0\r\n"
    "cmdstat_client|setname:calls=4,usec=4,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r\n"
    "cmdstat_info:calls=7,usec=70,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n"
    "# CPU\r\n"
    "used_cpu_sys:1.500000\r\n"
    "used_cpu_user:0.250000\r\n"
    "used_cpu_sys_children:9.000000\r\n"
    "used_cpu_sys_main_thread:1.400000\r\n";

TEST(RedisStats, ReadsCommandCallsAndCpu) {
  const RedisSample sample = parse_redis_info(kInfo);
  EXPECT_EQ(sample.calls.at("evalsha"), 1200u);
  EXPECT_EQ(sample.calls.at("publish"), 1000u);
  EXPECT_EQ(sample.calls.at("client|setname"), 4u);
  EXPECT_DOUBLE_EQ(sample.cpu_seconds, 1.75);  // user + sys of the server, not children
}

TEST(RedisStats, ActivityLeavesOutInfoAndUnchangedCommands) {
  RedisSample start;
  start.calls = {{"evalsha", 100}, {"info", 3}, {"ping", 5}};
  start.cpu_seconds = 1.0;
  RedisSample end;
  end.calls = {{"evalsha", 160}, {"info", 5}, {"ping", 5}, {"publish", 40}};
  end.cpu_seconds = 1.5;
  const auto activity = redis_activity(start, end, 2.0);
  EXPECT_EQ(activity["calls"], (nlohmann::json{{"evalsha", 60}, {"publish", 40}}));
  EXPECT_DOUBLE_EQ(activity["cpu_seconds"].get<double>(), 0.5);
  EXPECT_DOUBLE_EQ(activity["seconds"].get<double>(), 2.0);
}

TEST(RedisStats, PerItemSubtractsTheIdleRate) {
  // Idle: 4 EVALSHA and 0.01 s of CPU a second (heartbeats). Window: 2 s, 1,000
  // items, each one EVALSHA and one PUBLISH, plus the heartbeats.
  const nlohmann::json idle = {
      {"seconds", 1.0}, {"cpu_seconds", 0.01}, {"calls", {{"evalsha", 4}}}};
  const nlohmann::json window = {
      {"seconds", 2.0}, {"cpu_seconds", 0.52}, {"calls", {{"evalsha", 1008}, {"publish", 1000}}}};
  const auto figures = redis_per_item(window, idle, 1000);
  EXPECT_DOUBLE_EQ(figures["commands_per_item"].get<double>(), 2.0);
  EXPECT_DOUBLE_EQ(figures["by_command"]["evalsha"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(figures["by_command"]["publish"].get<double>(), 1.0);
  EXPECT_NEAR(figures["cpu_us_per_item"].get<double>(), 500.0, 1e-9);
  EXPECT_DOUBLE_EQ(figures["cpu_utilization"].get<double>(), 0.26);
  EXPECT_DOUBLE_EQ(figures["idle_commands_per_second"].get<double>(), 4.0);
}

TEST(RedisStats, NoItemsGiveZeroNotInfinity) {
  const nlohmann::json idle = {
      {"seconds", 1.0}, {"cpu_seconds", 0.0}, {"calls", nlohmann::json::object()}};
  const nlohmann::json window = {
      {"seconds", 1.0}, {"cpu_seconds", 0.0}, {"calls", {{"evalsha", 3}}}};
  const auto figures = redis_per_item(window, idle, 0);
  EXPECT_EQ(figures["commands_per_item"].get<double>(), 0.0);
}

}  // namespace
}  // namespace loadgen
