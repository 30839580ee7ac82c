// The load generator's command line.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "connection.hpp"

namespace loadgen {

struct Options {
  std::string mode = "relay";  // relay, latency, churn, idle, fanout
  // native (old name: v1), sio, bare (WebSocket), framed (bare over TCP)
  std::string dialect = "native";
  Endpoint endpoint;
  // A second server (another node of a cluster): the second member of each
  // room (every odd member in fan-out) connects to this port; 0: none.
  std::uint16_t port2 = 0;
  // The server's processes (a cluster's nodes): their CPU is summed; idle
  // reads the first one. Empty: no server CPU / memory figures.
  std::vector<int> server_pids;
  int server_pid = 0;  // the first of server_pids, 0 if none
  // A cluster's Redis, HOST:PORT: its commands and CPU per item, less its idle
  // rate (heartbeats) measured before the load for as long as the window.
  std::string redis;
  int threads = 1;

  int pairs = 100;                // relay, latency, churn
  int inflight = 1;               // relay (per pair), fanout (per member)
  std::size_t size = 200;         // bytes per relayed message
  double warmup = 1;              // seconds before the measured window
  double duration = 5;            // seconds measured
  double rate = 10000;            // latency: offered messages per second, all senders
  int rooms = 25;                 // fanout
  int room_size = 8;              // fanout
  int sessions = 19000;           // idle
  double settle = 2;              // idle: seconds to let the server settle before sampling
  double recovery = 10;           // idle: seconds allowed for fds/RSS to come back
  std::string bind_from;          // first source address (e.g. 127.0.0.2); empty: kernel's choice
  int per_address = 4000;         // connections per source address
  int connect_concurrency = 200;  // handshakes in progress per thread
  double setup_timeout = 60;      // seconds for connecting and joining everyone
  bool strict = false;            // full JSON check of every relayed message
  bool addressed = false;         // native relay: address the mate with `to`
};

// Parses argv; exits with a usage message on a bad command line.
Options parse_options(int argc, char** argv);

}  // namespace loadgen
