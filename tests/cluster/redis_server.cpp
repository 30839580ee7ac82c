#include "redis_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <hiredis/hiredis.h>

namespace parley::test {

namespace {

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof address;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0)
    throw std::runtime_error("cannot find a free port");
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string reply_text(const RedisReply& reply) {
  std::string text;
  if (reply.kind == RedisReply::Kind::array) {
    for (const auto& element : reply.elements) text += reply_text(element) + "\n";
    return text;
  }
  return reply.kind == RedisReply::Kind::integer ? std::to_string(reply.integer) : reply.text;
}

}  // namespace

RedisServer::RedisServer() : RedisServer(Options{}) {}

RedisServer::RedisServer(Options options) : options_(std::move(options)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "parley-redis-XXXXXX").string();
  if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  port_ = free_port();
  start();
}

RedisServer::~RedisServer() {
  if (pid_ > 0) wait_for_exit(SIGKILL);
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string RedisServer::url() const {
  std::string auth = options_.password.empty() ? "" : ":" + options_.password + "@";
  return "redis://" + auth + "127.0.0.1:" + std::to_string(port_);
}

void RedisServer::start() {
  if (pid_ > 0) return;
  // The port was free when picked; if another process took it meanwhile, the
  // server exits at once and a new port is tried.
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (try_start()) return;
    port_ = free_port();
  }
  throw std::runtime_error("redis-server did not start (see " + (dir_ / "redis.log").string() +
                           ")");
}

bool RedisServer::try_start() {
  std::vector<std::string> args{"redis-server",
                                "--port",
                                std::to_string(port_),
                                "--bind",
                                "127.0.0.1",
                                "--save",
                                "",
                                "--appendonly",
                                "no",
                                "--dir",
                                dir_.string(),
                                "--logfile",
                                (dir_ / "redis.log").string(),
                                "--daemonize",
                                "no"};
  if (!options_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(options_.password);
  }
  std::vector<char*> argv;
  for (auto& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    // The server dies with the test, even one killed by a timeout, and holds
    // none of its output pipes (it logs to its file).
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(1);
    const int null = ::open("/dev/null", O_RDWR);
    ::dup2(null, STDIN_FILENO);
    ::dup2(null, STDOUT_FILENO);
    ::dup2(null, STDERR_FILENO);
    ::execvp("redis-server", argv.data());
    ::_exit(127);
  }
  pid_ = pid;
  // A bounded poll: the server answers PING within milliseconds.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // it exited: port taken?
      pid_ = -1;
      if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        throw std::runtime_error("cannot run redis-server (scripts/install-deps installs it)");
      return false;
    }
    if (answers_ping()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  wait_for_exit(SIGKILL);
  return false;
}

bool RedisServer::answers_ping() const {
  timeval timeout{1, 0};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  bool ok = false;
  if (context && !context->err) {
    auto* reply = static_cast<redisReply*>(redisCommand(context, "PING"));
    // With a password, NOAUTH also proves the server is up.
    ok = reply && (reply->type == REDIS_REPLY_STATUS || reply->type == REDIS_REPLY_ERROR);
    if (reply) freeReplyObject(reply);
  }
  if (context) redisFree(context);
  return ok;
}

void RedisServer::stop() {
  if (pid_ > 0) wait_for_exit(SIGTERM);
}

void RedisServer::kill() {
  if (pid_ > 0) wait_for_exit(SIGKILL);
}

void RedisServer::pause() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::resume() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
}

void RedisServer::wait_for_exit(int signal) {
  ::kill(pid_, signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  int status = 0;
  while (::waitpid(pid_, &status, WNOHANG) == 0) {
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  pid_ = -1;
}

RedisReply RedisServer::command(const std::vector<std::string>& args, int db) const {
  timeval timeout{5, 0};
  redisContext* context = redisConnectWithTimeout("127.0.0.1", port_, timeout);
  if (!context || context->err) {
    if (context) redisFree(context);
    return RedisReply::error("cannot connect to the test's redis-server");
  }
  auto run = [&](const std::vector<std::string>& command) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : command) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    auto* raw = static_cast<redisReply*>(
        redisCommandArgv(context, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    RedisReply reply = raw ? RedisReply::from_hiredis(*raw) : RedisReply::error("no reply");
    if (raw) freeReplyObject(raw);
    return reply;
  };
  if (!options_.password.empty()) run({"AUTH", options_.password});
  if (db != 0) run({"SELECT", std::to_string(db)});
  RedisReply reply = run(args);
  redisFree(context);
  return reply;
}

std::vector<std::string> RedisServer::dump(int db) const {
  std::vector<std::string> result;
  const RedisReply keys = command({"KEYS", "*"}, db);
  for (const auto& key : keys.elements) {
    const std::string type = command({"TYPE", key.text}, db).text;
    RedisReply content;
    if (type == "string")
      content = command({"GET", key.text}, db);
    else if (type == "hash")
      content = command({"HGETALL", key.text}, db);
    else if (type == "set")
      content = command({"SMEMBERS", key.text}, db);
    else if (type == "zset")
      content = command({"ZRANGE", key.text, "0", "-1"}, db);
    else if (type == "list")
      content = command({"LRANGE", key.text, "0", "-1"}, db);
    result.push_back(key.text + " (" + type + "): " + reply_text(content));
  }
  return result;
}

}  // namespace parley::test
