#include "sampling.hpp"

#include <algorithm>
#include <chrono>
#include <thread>

#include "clock.hpp"

namespace loadgen {

Sample take_sample(const Options& options, std::uint64_t count) {
  Sample sample;
  sample.at_ns = now_ns();
  sample.count = count;
  sample.own_cpu = own_cpu_seconds();
  sample.machine_busy = machine_busy_seconds();
  for (const int pid : options.server_pids) {
    const auto process = sample_process(pid);
    if (!process) {  // one of them is gone: no server figures
      sample.server.reset();
      break;
    }
    if (!sample.server) sample.server = ProcessSample{};
    sample.server->cpu_seconds += process->cpu_seconds;
    sample.server->rss_bytes += process->rss_bytes;
    sample.server->open_fds += process->open_fds;
  }
  if (!options.redis.empty()) sample.redis = sample_redis(options.redis);
  return sample;
}

nlohmann::json window_figures(const Sample& start, const Sample& end) {
  const double seconds = static_cast<double>(end.at_ns - start.at_ns) / 1e9;
  const auto count = end.count - start.count;
  nlohmann::json figures = {
      {"seconds", seconds},
      {"count", count},
      {"per_second", seconds > 0 ? static_cast<double>(count) / seconds : 0.0},
      {"generator_cpu_utilization", seconds > 0 ? (end.own_cpu - start.own_cpu) / seconds : 0.0},
  };
  // A cluster's Redis is part of the system measured, not other work.
  double redis_cpu = 0;
  if (start.redis && end.redis) {
    figures["redis_window"] = redis_activity(*start.redis, *end.redis, seconds);
    redis_cpu = end.redis->cpu_seconds - start.redis->cpu_seconds;
  }
  if (start.server && end.server) {
    const double cpu = end.server->cpu_seconds - start.server->cpu_seconds;
    figures["server_cpu_utilization"] = seconds > 0 ? cpu / seconds : 0.0;
    figures["server_cpu_us_per_item"] = count > 0 ? cpu * 1e6 / static_cast<double>(count) : 0.0;
    figures["server_rss_bytes"] = end.server->rss_bytes;
    const double others =
        (end.machine_busy - start.machine_busy) - cpu - redis_cpu - (end.own_cpu - start.own_cpu);
    figures["other_cpu_cores"] = seconds > 0 ? std::max(0.0, others / seconds) : 0.0;
  }
  return figures;
}

nlohmann::json latency_figures(const Histogram& h) {
  auto us = [](std::uint64_t ns) { return static_cast<double>(ns) / 1000.0; };
  return {{"count", h.count()},
          {"p50", us(h.percentile(0.50))},
          {"p90", us(h.percentile(0.90))},
          {"p99", us(h.percentile(0.99))},
          {"p999", us(h.percentile(0.999))},
          {"max", us(h.max())},
          {"mean", h.mean() / 1000.0}};
}

void sleep_until_ns(std::int64_t deadline_ns) {
  const auto now = now_ns();
  if (deadline_ns > now) std::this_thread::sleep_for(std::chrono::nanoseconds(deadline_ns - now));
}

}  // namespace loadgen
