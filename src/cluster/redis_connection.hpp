// One connection to Redis, driven by hiredis's asynchronous API on an Asio strand.
//
// hiredis does the protocol and keeps the queue of commands in flight (so commands
// are pipelined: many may be in flight at once); this class gives it the event
// loop, through the five hooks that hiredis's own adapters (libevent, libuv...)
// fill in: it waits for readiness on the context's socket with a
// posix::stream_descriptor and calls redisAsyncHandleRead/Write. hiredis is not
// thread-safe, so everything touching the context runs on this connection's
// strand; the public calls may be made from any thread.
//
// The connection logs in (AUTH, SELECT, CLIENT SETNAME) before it counts as
// connected, and reconnects by itself after an error or a lost connection, with
// a capped, jittered exponential backoff. While it is not connected, commands fail
// at once with an error reply: the caller decides what to do without one.
// No call ever blocks: the host name is resolved with Asio before hiredis
// connects to an address (hiredis would call getaddrinfo on the event loop).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "cluster/backoff.hpp"
#include "cluster/redis_reply.hpp"
#include "config/redis_url.hpp"

struct redisAsyncContext;
struct redisReply;

namespace parley {

struct RedisOptions {
  RedisUrl url;
  std::string client_name = "parley";  // CLIENT SETNAME, to tell connections apart
  double connect_timeout = 5;          // seconds for TCP connect and login
  double backoff_initial = 0.1;        // seconds before the first reconnection
  double backoff_most = 5;             // the longest wait between attempts
  std::size_t max_in_flight = 100000;  // more commands waiting for replies fail at once
  std::uint64_t seed = 0;              // for the backoff's jitter; 0: random
};

class RedisConnection : public std::enable_shared_from_this<RedisConnection> {
 public:
  enum class State { idle, connecting, connected, down, stopped };
  using Callback = std::function<void(RedisReply)>;
  using PushHandler = std::function<void(const RedisReply&)>;

  static std::shared_ptr<RedisConnection> create(boost::asio::any_io_executor executor,
                                                 RedisOptions options);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Hooks, set before start(); each runs on the strand.
  // After every (re)connection, once logged in, before any command may run.
  void on_connected(std::function<void()> handler);
  // When an established connection is lost (with the reason).
  void on_down(std::function<void(const std::string&)> handler);
  // Replies of the pub/sub kind (subscribe confirmations, messages), see push().
  void on_push(PushHandler handler);

  // Starts connecting (and reconnecting, until stop()).
  void start();
  // Closes the connection for good: commands in flight get an error reply.
  void stop();

  // Sends one command, e.g. {"SET", "k", "v"}; `callback` gets the reply (or an
  // error reply) on the strand, exactly once.
  void command(std::vector<std::string> args, Callback callback);
  // Sends a (P)SUBSCRIBE / (P)UNSUBSCRIBE command; its replies and the messages
  // that follow go to the push handler. Nothing happens while not connected (a
  // subscriber subscribes again from its on_connected hook).
  void push(std::vector<std::string> args);

  State state() const { return state_.load(); }
  bool connected() const { return state_.load() == State::connected; }
  // The last reason the connection failed or was lost ("" before any).
  std::string last_error() const;
  // How many times a connection was established (1 after the first).
  std::uint64_t connections() const { return connections_.load(); }
  boost::asio::strand<boost::asio::any_io_executor>& strand() { return strand_; }

 private:
  struct Pending;
  RedisConnection(boost::asio::any_io_executor executor, RedisOptions options);

  void connect();
  bool try_next_endpoint();
  void arm_connect_timeout();
  void connect_to(const boost::asio::ip::tcp::endpoint& endpoint);
  void log_in();
  void logged_in();
  void fail(const std::string& why);
  void context_gone();
  void schedule_reconnect();
  void send(std::vector<std::string> args, Callback callback, bool before_login);
  void finish(RedisReply reply, Callback callback);

  // The event hooks of hiredis (ev.addRead ...), with `this` as their data.
  static void add_read(void* self);
  static void del_read(void* self);
  static void add_write(void* self);
  static void del_write(void* self);
  static void cleanup(void* self);
  static void on_reply(redisAsyncContext* context, void* reply, void* data);
  static void on_push_reply(redisAsyncContext* context, void* reply, void* data);
  static void on_connect(const redisAsyncContext* context, int status);
  void arm_read();
  void arm_write();

  RedisOptions options_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::ip::tcp::resolver resolver_;
  boost::asio::steady_timer timer_;  // connect timeout, then reconnect delay
  Backoff backoff_;

  // The addresses of the host, tried in order at each attempt.
  std::vector<boost::asio::ip::tcp::endpoint> endpoints_;
  std::size_t next_endpoint_ = 0;
  // The current hiredis context and its socket; null between connections.
  redisAsyncContext* context_ = nullptr;
  std::optional<boost::asio::posix::stream_descriptor> socket_;
  std::uint64_t generation_ = 0;  // which context a waiting handler belongs to
  bool want_read_ = false, want_write_ = false;
  bool read_armed_ = false, write_armed_ = false;
  bool stopping_ = false;
  std::size_t in_flight_ = 0;

  std::atomic<State> state_{State::idle};
  std::atomic<std::uint64_t> connections_{0};
  mutable std::mutex error_mutex_;
  std::string last_error_;

  std::function<void()> on_connected_;
  std::function<void(const std::string&)> on_down_;
  PushHandler on_push_;
};

std::string_view to_string(RedisConnection::State state);

}  // namespace parley
