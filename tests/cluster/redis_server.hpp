// A real redis-server for a test: on 127.0.0.1, a free port, a temporary
// directory, no configuration file, nothing saved. It can be stopped and
// started again on the same port (for reconnection tests) and is killed when the
// object goes. Also a blocking client for the tests' own checks (never used on
// an event loop).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "cluster/redis_reply.hpp"

namespace parley::test {

class RedisServer {
 public:
  struct Options {
    std::string password;  // --requirepass
  };
  RedisServer();
  explicit RedisServer(Options options);
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  // Starts it (again) and returns once it answers PING. Throws on failure.
  void start();
  // SIGTERM, then waits for the process to exit.
  void stop();
  // SIGKILL, then waits (a crash).
  void kill();
  // SIGSTOP: a hung Redis, which keeps its connections open and answers
  // nothing, until resume() (SIGCONT).
  void pause();
  void resume();
  bool running() const { return pid_ > 0; }

  std::uint16_t port() const { return port_; }
  std::string url() const;  // redis://[:password@]127.0.0.1:port

  // A blocking command on a short-lived connection (db 0 unless `db`).
  RedisReply command(const std::vector<std::string>& args, int db = 0) const;
  // Every key of `db` with everything it holds (names, members, fields, values,
  // elements), one string per key: for "no key names X" checks.
  std::vector<std::string> dump(int db = 0) const;

 private:
  bool try_start();
  bool answers_ping() const;
  void wait_for_exit(int signal);

  Options options_;
  std::filesystem::path dir_;
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace parley::test
