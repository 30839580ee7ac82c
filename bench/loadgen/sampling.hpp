// The measured window of a run: a sample at its start and at its end, and the
// figures between them (rate, the server's CPU per item, our own CPU).
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>

#include "histogram.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "redis_stats.hpp"

namespace loadgen {

struct Sample {
  std::int64_t at_ns = 0;
  std::uint64_t count = 0;  // items done so far (messages, operations, ...)
  double own_cpu = 0;
  double machine_busy = 0;
  std::optional<ProcessSample> server;  // the server processes, summed
  std::optional<RedisSample> redis;     // with --redis
};

Sample take_sample(const Options& options, std::uint64_t count);

// {seconds, count, per_second, server_cpu_utilization, server_cpu_us_per_item,
//  generator_cpu_utilization, other_cpu_cores}; server figures only when both
// samples have them. other_cpu_cores is how many cores' worth of CPU the rest
// of the machine took during the window (0 on a quiet machine); redis_window
// (redis_activity) when both samples read Redis.
nlohmann::json window_figures(const Sample& start, const Sample& end);

// {count, p50, p90, p99, p999, max, mean} in microseconds.
nlohmann::json latency_figures(const Histogram& histogram);

// Sleeps the calling (main) thread until `deadline_ns` on the generator's clock.
void sleep_until_ns(std::int64_t deadline_ns);

}  // namespace loadgen
