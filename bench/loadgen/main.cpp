// parley_loadgen: drives one signaling server over loopback in one mode and
// prints one JSON object: the figures, and every correctness fault seen. The
// exit status is 0 only when nothing was lost, duplicated, reordered or
// mis-attributed and every session connected and joined (so the smoke test
// can run it as is); 1 otherwise; 2 for a bad command line.
#include <algorithm>
#include <chrono>
#include <iostream>
#include <thread>

#include "clock.hpp"
#include "dialect.hpp"
#include "faults.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "redis_stats.hpp"
#include "scenarios.hpp"

namespace {

// With --redis: what Redis does with no load (the nodes' heartbeats and
// sweeps), over as long as the measured window, before anyone connects.
nlohmann::json measure_redis_idle(const loadgen::Options& options) {
  const double seconds = std::max(1.0, options.duration);
  const auto start = loadgen::sample_redis(options.redis);
  const auto started = loadgen::now_ns();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  const auto end = loadgen::sample_redis(options.redis);
  return loadgen::redis_activity(start, end,
                                 static_cast<double>(loadgen::now_ns() - started) / 1e9);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace loadgen;
  const Options options = parse_options(argc, argv);
  raise_fd_limit();
  const auto dialect = make_dialect(options.dialect);
  Faults faults;
  nlohmann::json figures;
  nlohmann::json redis_idle;
  try {
    if (!options.redis.empty()) redis_idle = measure_redis_idle(options);
    if (options.mode == "relay" || options.mode == "fanout") {
      figures = run_relay(options, *dialect, faults);
    } else if (options.mode == "latency") {
      figures = run_latency(options, *dialect, faults);
    } else if (options.mode == "churn") {
      figures = run_churn(options, *dialect, faults);
    } else {
      figures = run_idle(options, *dialect, faults);
    }
  } catch (const std::exception& e) {
    faults.add("exception", e.what());
  }
  if (figures.is_object() && figures.contains("redis_window") && !redis_idle.is_null()) {
    figures["redis_idle"] = redis_idle;
    figures["redis"] = redis_per_item(figures["redis_window"], redis_idle,
                                      figures.value("count", std::uint64_t{0}));
  }
  nlohmann::json out = {
      {"mode", options.mode},
      {"dialect", options.dialect},
      {"tls", options.endpoint.tls},
      {"pairs", options.pairs},
      {"inflight", options.inflight},
      {"size", options.size},
      {"threads", options.threads},
      {"ok", faults.total() == 0},
      {"faults", faults.counts()},
      {"fault_examples", faults.examples()},
      {"figures", figures.is_null() ? nlohmann::json::object() : figures},
  };
  std::cout << out.dump() << std::endl;
  return faults.total() == 0 ? 0 : 1;
}
