// What a cluster's Redis does for the load (--redis HOST:PORT): the calls of
// each command, from INFO commandstats (a script's EVALSHA and every command
// the script runs each count as one), and the CPU Redis used, from INFO cpu.
// The load's share is what the measured window took less the idle rate
// (the nodes' heartbeats and sweeps) measured before the load.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

namespace loadgen {

struct RedisSample {
  std::map<std::string, std::uint64_t, std::less<>> calls;  // command -> calls so far
  double cpu_seconds = 0;                                   // used_cpu_user + used_cpu_sys
};

// Reads the text of INFO commandstats and INFO cpu.
RedisSample parse_redis_info(std::string_view info);

// Asks the Redis at HOST:PORT (one short blocking exchange); throws
// std::runtime_error when it cannot.
RedisSample sample_redis(const std::string& host_port);

// What Redis did between two samples `seconds` apart:
// {seconds, cpu_seconds, calls: {command: calls}} (INFO's own calls left out).
nlohmann::json redis_activity(const RedisSample& start, const RedisSample& end, double seconds);

// The load's share of a window's activity, per item (message, operation):
// the window less the idle activity's rate over as long a time.
// {commands_per_item, by_command: {command: per item}, cpu_us_per_item,
//  cpu_utilization, idle_commands_per_second, idle_cpu_utilization}.
nlohmann::json redis_per_item(const nlohmann::json& window, const nlohmann::json& idle,
                              std::uint64_t items);

}  // namespace loadgen
