// Lua scripts run by EVALSHA. Each script is loaded (SCRIPT LOAD) once per
// connection, right after it connects, and whenever Redis answers NOSCRIPT
// (it lost its script cache: a restart, SCRIPT FLUSH, a failover) the script is
// loaded again and the call retried once, so callers never see NOSCRIPT.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "cluster/redis_connection.hpp"

namespace parley {

struct RedisScript {
  std::string name;    // for logs: "join"
  std::string source;  // Lua
  std::string sha1;    // hex, as EVALSHA wants it
};

// The SHA-1 of a script's text in lower-case hex (what SCRIPT LOAD returns).
std::string script_sha1(const std::string& source);

class RedisScripts {
 public:
  using Id = std::size_t;

  explicit RedisScripts(std::shared_ptr<RedisConnection> connection);

  // Register before the connection starts; returns the id to run it by.
  Id add(std::string name, std::string source);
  // SCRIPT LOAD every script (pipelined); called from the connection's
  // on_connected hook. `done` gets the first error, or an empty string.
  void load_all(std::function<void(const std::string&)> done = {});

  // EVALSHA script numkeys keys... args...; reloads and retries on NOSCRIPT.
  void run(Id id, std::vector<std::string> keys, std::vector<std::string> args,
           RedisConnection::Callback callback);

  const RedisScript& script(Id id) const { return scripts_.at(id); }
  std::size_t reloads() const { return reloads_; }

 private:
  std::vector<std::string> evalsha(Id id, const std::vector<std::string>& keys,
                                   const std::vector<std::string>& args) const;

  std::shared_ptr<RedisConnection> connection_;
  std::vector<RedisScript> scripts_;
  std::size_t reloads_ = 0;  // NOSCRIPT answers seen (touched on the strand)
};

}  // namespace parley
