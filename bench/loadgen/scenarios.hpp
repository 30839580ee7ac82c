// The five measurements. Each runs against one server, checks every message
// it relays, records faults, and returns its figures as a JSON object.
#pragma once

#include <nlohmann/json.hpp>

#include "dialect.hpp"
#include "faults.hpp"
#include "options.hpp"

namespace loadgen {

// relay: pairs in a closed loop with K messages in flight per pair;
// fanout: rooms of N where every member broadcasts (K per member).
nlohmann::json run_relay(const Options& options, const Dialect& dialect, Faults& faults);
// latency: open loop at a fixed offered rate, one-way latency.
nlohmann::json run_latency(const Options& options, const Dialect& dialect, Faults& faults);
// churn: pairs join a fresh room, both leave, next room.
nlohmann::json run_churn(const Options& options, const Dialect& dialect, Faults& faults);
// idle: N joined sessions, the server's memory per session, and after they leave.
nlohmann::json run_idle(const Options& options, const Dialect& dialect, Faults& faults);

}  // namespace loadgen
