// The daemon's whole configuration: one struct with named defaults, built once
// (file < environment < command line) and passed to every component at
// construction. The keys and defaults are those of interface-v1.md; every key is
// documented for users in config/parley.json.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace parley {

struct ListenConfig {
  std::string address = "0.0.0.0";
  std::uint16_t port = 8080;  // 0: the kernel picks one

  bool operator==(const ListenConfig&) const = default;
};

struct TlsConfig {
  std::string cert;  // PEM certificate chain; with `key`, the public listener speaks TLS
  std::string key;   // PEM private key
  bool enabled() const { return !cert.empty() && !key.empty(); }

  bool operator==(const TlsConfig&) const = default;
};

struct AdminConfig {
  std::string address = "127.0.0.1";
  std::uint16_t port = 9091;
  std::string token;  // empty: every /admin/* call gets 403

  bool operator==(const AdminConfig&) const = default;
};

struct LimitsConfig {
  std::size_t max_message_bytes = 65536;       // larger messages close with 1009
  std::size_t max_peers_per_room = 2;          // a 1:1 call
  std::size_t max_rooms = 100000;              // joins creating more rooms: room-limit
  std::size_t max_connections = 100000;        // handshakes beyond: HTTP 503
  std::size_t max_connections_per_ip = 0;      // 0: no per-address limit
  double messages_per_second = 50;             // token bucket refill rate
  std::uint64_t message_burst = 200;           // token bucket size (>= 1)
  std::size_t max_send_queue_bytes = 1048576;  // a slower reader is closed with 1013
  double handshake_timeout = 10;               // seconds to finish TLS + HTTP request
  std::size_t max_meta_bytes = 1024;           // a peer's metadata, as compact JSON
  std::size_t max_watches = 8;                 // rooms one connection may watch

  bool operator==(const LimitsConfig&) const = default;
};

struct HeartbeatConfig {
  double ping_interval = 20;  // seconds between server pings
  double ping_timeout = 20;   // seconds of silence before a connection counts as lost

  bool operator==(const HeartbeatConfig&) const = default;
};

struct ResumeConfig {
  double grace = 15;                 // seconds a lost peer keeps its id and seat
  std::size_t buffer_messages = 64;  // messages kept for a lost peer (oldest dropped)

  bool operator==(const ResumeConfig&) const = default;
};

struct AuthConfig {
  std::string jwt_secret;  // set: join needs an HS256 token

  bool operator==(const AuthConfig&) const = default;
};

struct TurnConfig {
  std::vector<std::string> urls;
  std::string secret;  // set (with urls): joined.iceServers gets TURN REST credentials
  double ttl = 86400;  // seconds the credentials stay valid

  bool operator==(const TurnConfig&) const = default;
};

struct ClusterConfig {
  std::string redis;  // e.g. "redis://127.0.0.1:6379"; empty: a single node

  bool operator==(const ClusterConfig&) const = default;
};

struct WebhooksConfig {
  std::vector<std::string> urls;  // http:// or https:// receivers of every event
  std::string secret;             // signs every body (Parley-Signature); required with urls
  double timeout = 5;             // seconds per delivery attempt
  std::size_t max_queue = 10000;  // events waiting; a full queue drops the newest

  bool operator==(const WebhooksConfig&) const = default;
};

struct LogConfig {
  std::string level = "info";   // trace, debug, info, warn, error, critical, off
  std::string format = "text";  // text or json (one object per line)

  bool operator==(const LogConfig&) const = default;
};

struct Config {
  ListenConfig listen;
  TlsConfig tls;
  AdminConfig admin;
  unsigned threads = 0;  // 0: one per core
  std::string static_dir = "web";
  std::vector<std::string> allowed_origins{"*"};
  LimitsConfig limits;
  HeartbeatConfig heartbeat;
  ResumeConfig resume;
  AuthConfig auth;
  nlohmann::json ice_servers = nlohmann::json::array();  // RTCIceServer objects
  TurnConfig turn;
  ClusterConfig cluster;
  WebhooksConfig webhooks;
  LogConfig log;

  // True when `origin` may open a WebSocket (an absent Origin header is allowed:
  // only browsers send one, and the check exists to protect browsers).
  // Equal configurations: a reload can tell which parts changed.
  bool operator==(const Config&) const = default;

  bool origin_allowed(std::string_view origin) const;
};

// Every problem found while building a Config, one line per problem, each naming
// the key ("limits.max_peers_per_room: must be at least 1").
class ConfigError : public std::runtime_error {
 public:
  explicit ConfigError(std::vector<std::string> problems);
  const std::vector<std::string>& problems() const { return problems_; }

 private:
  std::vector<std::string> problems_;
};

// Overrides taken from the command line (they win over everything else).
struct CommandLineOverrides {
  std::optional<std::string> address;
  std::optional<std::uint16_t> port;
};

// Builds the configuration: defaults, then the file (JSON with // comments; none
// when `file` is empty), then PARLEY_* variables of `environment`, then `cli`.
// Throws ConfigError listing every problem.
Config load_config(const std::string& file, const std::map<std::string, std::string>& environment,
                   const CommandLineOverrides& cli = {});

// Applies one JSON document over `config` (used for the file layer). Problems are
// appended to `problems`, each prefixed with the dotted key.
void apply_config_json(Config& config, const nlohmann::json& document,
                       std::vector<std::string>& problems);

// What is allowed but worth a warning, one line each naming the variable or key:
// PARLEY_* variables that set no key (a typo; the variables of the project's own
// tools, such as the container's PARLEY_CONFIG_FILE, are known and not warned
// about), and cluster.redis, set before the cluster exists.
std::vector<std::string> config_warnings(const Config& config,
                                         const std::map<std::string, std::string>& environment);

// The PARLEY_* entries of the process environment.
std::map<std::string, std::string> parley_environment();

}  // namespace parley
