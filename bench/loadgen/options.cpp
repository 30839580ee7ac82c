#include "options.hpp"

#include <CLI/CLI.hpp>
#include <cstdlib>

#include "dialect.hpp"

namespace loadgen {

Options parse_options(int argc, char** argv) {
  Options o;
  std::string path;
  CLI::App app{
      "parley_loadgen: drives a signaling server (parley, or a peer it is measured against) "
      "over loopback and checks every relayed message; prints one JSON object of figures."};
  app.add_option("--mode", o.mode, "relay | latency | churn | idle | fanout")
      ->check(CLI::IsMember({"relay", "latency", "churn", "idle", "fanout"}));
  app.add_option("--dialect", o.dialect, "native | sio | bare | framed (v1: old name of native)")
      ->check(CLI::IsMember({"native", "v1", "sio", "bare", "framed"}));
  app.add_option("--host", o.endpoint.host, "server address");
  app.add_option("--port", o.endpoint.port, "server port")->required();
  app.add_option("--path", path, "WebSocket request target (default: the dialect's)");
  app.add_flag("--tls", o.endpoint.tls, "wss:// (certificate not verified)");
  app.add_option("--port2", o.port2,
                 "second server (another cluster node): the second member of each room "
                 "connects there");
  app.add_option("--server-pid", o.server_pids,
                 "server process(es) for CPU, RSS and fd figures (comma-separated: CPU summed)")
      ->delimiter(',');
  app.add_option("--redis", o.redis,
                 "HOST:PORT of the cluster's Redis: its commands and CPU per item");
  app.add_option("--threads", o.threads, "generator threads (one io_context each)");
  app.add_option("--pairs", o.pairs, "pairs (rooms of 2): relay, latency, churn");
  app.add_option("--inflight", o.inflight,
                 "messages in flight per pair (relay) or member (fanout)");
  app.add_option("--size", o.size, "bytes per relayed message");
  app.add_option("--warmup", o.warmup, "seconds of load before measuring");
  app.add_option("--duration", o.duration, "seconds measured");
  app.add_option("--rate", o.rate, "latency: offered messages per second (all senders)");
  app.add_option("--rooms", o.rooms, "fanout: rooms");
  app.add_option("--room-size", o.room_size, "fanout: members per room");
  app.add_option("--sessions", o.sessions, "idle: sessions (rooms of 2)");
  app.add_option("--settle", o.settle, "idle: seconds before sampling the server");
  app.add_option("--recovery", o.recovery, "idle: seconds allowed for fds and RSS to come back");
  app.add_option("--bind-from", o.bind_from, "first client source address, e.g. 127.0.0.2");
  app.add_option("--per-address", o.per_address, "connections per source address");
  app.add_option("--connect-concurrency", o.connect_concurrency, "handshakes at once per thread");
  app.add_option("--setup-timeout", o.setup_timeout, "seconds to connect and join everyone");
  app.add_flag("--strict", o.strict, "parse every relayed message fully (smoke test)");
  app.add_flag("--addressed", o.addressed, "native: send relayed messages with `to`");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    std::exit(app.exit(e));
  }
  if (o.dialect == "v1") o.dialect = "native";
  if (!o.server_pids.empty()) o.server_pid = o.server_pids.front();
  if (o.dialect == "framed") o.endpoint.transport = Transport::kFramedTcp;
  o.endpoint.path = path.empty() ? std::string(make_dialect(o.dialect)->default_path()) : path;
  if (o.mode != "fanout") o.room_size = 2;
  return o;
}

}  // namespace loadgen
