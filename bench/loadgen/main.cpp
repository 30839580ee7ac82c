// parley_loadgen: drives one signaling server over loopback in one mode and
// prints one JSON object: the figures, and every correctness fault seen. The
// exit status is 0 only when nothing was lost, duplicated, reordered or
// mis-attributed and every session connected and joined (so the smoke test
// can run it as is); 1 otherwise; 2 for a bad command line.
#include <iostream>

#include "dialect.hpp"
#include "faults.hpp"
#include "options.hpp"
#include "proc_stats.hpp"
#include "scenarios.hpp"

int main(int argc, char** argv) {
  using namespace loadgen;
  const Options options = parse_options(argc, argv);
  raise_fd_limit();
  const auto dialect = make_dialect(options.dialect);
  Faults faults;
  nlohmann::json figures;
  try {
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
