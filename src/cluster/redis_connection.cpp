#include "cluster/redis_connection.hpp"

#include <chrono>
#include <exception>
#include <random>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <spdlog/spdlog.h>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>

#include "base/clock.hpp"

namespace parley {

namespace asio = boost::asio;

namespace {

std::uint64_t seed_of(const RedisOptions& options) {
  return options.seed ? options.seed : std::random_device{}();
}

// A callback from user code runs inside hiredis's read handler: it must not throw
// through hiredis (C code), and a failure of one caller is nobody else's.
template <typename F>
void guarded(const char* what, F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    spdlog::error("redis: {} threw: {}", what, e.what());
  } catch (...) {
    spdlog::error("redis: {} threw", what);
  }
}

}  // namespace

struct RedisConnection::Pending {
  std::shared_ptr<RedisConnection> self;
  Callback callback;
};

std::string_view to_string(RedisConnection::State state) {
  switch (state) {
    case RedisConnection::State::idle:
      return "idle";
    case RedisConnection::State::connecting:
      return "connecting";
    case RedisConnection::State::connected:
      return "connected";
    case RedisConnection::State::down:
      return "down";
    case RedisConnection::State::stopped:
      return "stopped";
  }
  return "?";
}

std::shared_ptr<RedisConnection> RedisConnection::create(asio::any_io_executor executor,
                                                         RedisOptions options) {
  return std::shared_ptr<RedisConnection>(new RedisConnection(executor, std::move(options)));
}

RedisConnection::RedisConnection(asio::any_io_executor executor, RedisOptions options)
    : options_(std::move(options)),
      strand_(asio::make_strand(executor)),
      resolver_(strand_),
      timer_(strand_),
      backoff_(options_.backoff_initial, options_.backoff_most, seed_of(options_)) {}

RedisConnection::~RedisConnection() {
  // Normally stop() freed the context already; when the event loop went away
  // with the connection still open, free it here without scheduling anything.
  stopping_ = true;
  if (context_) redisAsyncFree(context_);
}

void RedisConnection::on_connected(std::function<void()> handler) {
  on_connected_ = std::move(handler);
}
void RedisConnection::on_down(std::function<void(const std::string&)> handler) {
  on_down_ = std::move(handler);
}
void RedisConnection::on_push(PushHandler handler) {
  on_push_ = std::move(handler);
}

std::string RedisConnection::last_error() const {
  std::lock_guard lock(error_mutex_);
  return last_error_;
}

void RedisConnection::start() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->stopping_ || self->state_ != State::idle) return;
    self->connect();
  });
}

void RedisConnection::stop() {
  asio::dispatch(strand_, [self = shared_from_this()] {
    if (self->stopping_) return;
    self->stopping_ = true;
    self->state_ = State::stopped;
    self->resolver_.cancel();
    self->timer_.cancel();
    // Commands in flight get their error reply from hiredis (a null reply).
    if (self->context_) redisAsyncFree(self->context_);
  });
}

// ---- Connecting

void RedisConnection::connect() {
  state_ = State::connecting;
  endpoints_.clear();
  next_endpoint_ = 0;
  arm_connect_timeout();
  // hiredis would resolve the name with a blocking getaddrinfo: Asio does it.
  resolver_.async_resolve(
      options_.url.host, std::to_string(options_.url.port),
      [self = shared_from_this(), attempt = generation_](
          boost::system::error_code ec, asio::ip::tcp::resolver::results_type results) {
        if (self->stopping_ || self->generation_ != attempt) return;
        if (ec == asio::error::operation_aborted) return;  // timed out: handled there
        if (ec || results.empty()) {
          self->fail("cannot resolve " + self->options_.url.host + ": " +
                     (ec ? ec.message() : std::string("no address")));
          return;
        }
        for (const auto& entry : results) self->endpoints_.push_back(entry.endpoint());
        self->try_next_endpoint();
      });
}

// A name may have several addresses (localhost: ::1 and 127.0.0.1): each is
// tried in turn, each within the connect timeout, before the backoff.
bool RedisConnection::try_next_endpoint() {
  if (stopping_ || next_endpoint_ >= endpoints_.size()) return false;
  state_ = State::connecting;
  arm_connect_timeout();
  connect_to(endpoints_[next_endpoint_++]);
  return true;
}

void RedisConnection::arm_connect_timeout() {
  timer_.expires_after(seconds(options_.connect_timeout));
  timer_.async_wait(
      [self = shared_from_this(), attempt = generation_](boost::system::error_code ec) {
        if (ec || self->generation_ != attempt || self->state_ != State::connecting) return;
        self->fail("no connection within " + std::to_string(self->options_.connect_timeout) + " s");
      });
}

void RedisConnection::connect_to(const asio::ip::tcp::endpoint& endpoint) {
  redisAsyncContext* context =
      redisAsyncConnect(endpoint.address().to_string().c_str(), endpoint.port());
  if (!context) {
    fail("out of memory");
    return;
  }
  if (context->err) {
    const std::string why = context->errstr;
    redisAsyncFree(context);  // nothing attached yet: no hook runs
    fail(why);
    return;
  }
  context_ = context;
  context->data = this;
  boost::system::error_code ec;
  socket_.emplace(strand_);
  socket_->assign(context->c.fd, ec);
  if (ec) {
    socket_.reset();
    context_ = nullptr;
    redisAsyncFree(context);
    fail("cannot watch the socket: " + ec.message());
    return;
  }
  context->ev.data = this;
  context->ev.addRead = &RedisConnection::add_read;
  context->ev.delRead = &RedisConnection::del_read;
  context->ev.addWrite = &RedisConnection::add_write;
  context->ev.delWrite = &RedisConnection::del_write;
  context->ev.cleanup = &RedisConnection::cleanup;
  redisAsyncSetConnectCallback(context, &RedisConnection::on_connect);
  // As hiredis's own adapters do: writable means the TCP connect finished.
  add_write(this);
  add_read(this);
}

void RedisConnection::on_connect(const redisAsyncContext* context, int status) {
  auto* self = static_cast<RedisConnection*>(context->data);
  if (status != REDIS_OK) {
    std::lock_guard lock(self->error_mutex_);
    // ac->errstr is set only later (when hiredis copies the error); c.errstr now.
    self->last_error_ = context->c.err ? context->c.errstr : "connection failed";
    return;  // hiredis frees the context next: cleanup() follows
  }
  self->log_in();
}

void RedisConnection::log_in() {
  // Pipelined; the last reply decides, unless an earlier one failed.
  auto failed = std::make_shared<bool>(false);
  auto check = [self = shared_from_this(), failed](const char* step, const RedisReply& reply) {
    if (*failed || !reply.is_error()) return;
    *failed = true;
    self->fail(std::string(step) + " failed: " + reply.text);
  };
  const RedisUrl& url = options_.url;
  if (!url.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!url.user.empty()) auth.push_back(url.user);
    auth.push_back(url.password);
    send(
        std::move(auth), [check](RedisReply reply) { check("AUTH", reply); }, true);
  }
  if (url.db != 0)
    send(
        {"SELECT", std::to_string(url.db)}, [check](RedisReply reply) { check("SELECT", reply); },
        true);
  send(
      {"CLIENT", "SETNAME", options_.client_name},
      [self = shared_from_this(), check, failed, attempt = generation_](RedisReply reply) {
        check("CLIENT SETNAME", reply);
        if (!*failed && self->generation_ == attempt && self->context_) self->logged_in();
      },
      true);
}

void RedisConnection::logged_in() {
  timer_.cancel();
  backoff_.reset();
  state_ = State::connected;
  ++connections_;
  spdlog::info("redis: connected to {} ({})", describe(options_.url), options_.client_name);
  if (on_connected_) guarded("on_connected", on_connected_);
}

void RedisConnection::fail(const std::string& why) {
  {
    std::lock_guard lock(error_mutex_);
    last_error_ = why;
  }
  if (context_) {
    // cleanup() runs (now, or after the hiredis callback we are in) and
    // schedules the next attempt.
    redisAsyncDisconnect(context_);
    return;
  }
  resolver_.cancel();
  if (!try_next_endpoint()) schedule_reconnect();
}

void RedisConnection::cleanup(void* data) {
  auto* self = static_cast<RedisConnection*>(data);
  if (self->context_ && self->context_->c.err) {
    std::lock_guard lock(self->error_mutex_);
    self->last_error_ = self->context_->c.errstr;
  }
  self->context_gone();
}

// hiredis is freeing the context (it closes the socket itself): forget it.
void RedisConnection::context_gone() {
  const bool was_connected = state_ == State::connected;
  if (socket_) {
    socket_->release();  // cancels the waits; hiredis owns the descriptor
    socket_.reset();
  }
  context_ = nullptr;
  ++generation_;
  want_read_ = want_write_ = read_armed_ = write_armed_ = false;
  if (stopping_) {
    state_ = State::stopped;
    return;
  }
  state_ = State::down;
  timer_.cancel();
  const std::string why = last_error();
  if (was_connected) spdlog::warn("redis: connection to {} lost: {}", describe(options_.url), why);
  // We may be inside hiredis: continue from the event loop.
  asio::post(strand_, [self = shared_from_this(), was_connected, why] {
    if (was_connected && self->on_down_) guarded("on_down", [&] { self->on_down_(why); });
    if (self->context_) return;
    if (!was_connected && self->try_next_endpoint()) return;
    self->schedule_reconnect();
  });
}

void RedisConnection::schedule_reconnect() {
  if (stopping_ || context_) return;
  state_ = State::down;
  const double delay = backoff_.next();
  spdlog::debug("redis: reconnecting to {} in {:.2f} s ({})", describe(options_.url), delay,
                last_error());
  timer_.expires_after(seconds(delay));
  timer_.async_wait(
      [self = shared_from_this(), attempt = generation_](boost::system::error_code ec) {
        if (ec || self->stopping_ || self->context_ || self->generation_ != attempt) return;
        self->connect();
      });
}

// ---- Readiness: hiredis's event hooks

void RedisConnection::add_read(void* data) {
  auto* self = static_cast<RedisConnection*>(data);
  self->want_read_ = true;
  self->arm_read();
}
void RedisConnection::del_read(void* data) {
  static_cast<RedisConnection*>(data)->want_read_ = false;
}
void RedisConnection::add_write(void* data) {
  auto* self = static_cast<RedisConnection*>(data);
  self->want_write_ = true;
  self->arm_write();
}
void RedisConnection::del_write(void* data) {
  static_cast<RedisConnection*>(data)->want_write_ = false;
}

void RedisConnection::arm_read() {
  if (read_armed_ || !want_read_ || !socket_) return;
  read_armed_ = true;
  socket_->async_wait(asio::posix::stream_descriptor::wait_read,
                      [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
                        if (gen != self->generation_) return;
                        self->read_armed_ = false;
                        if (ec || !self->want_read_ || !self->context_) return;
                        redisAsyncHandleRead(self->context_);
                        if (gen == self->generation_) self->arm_read();
                      });
}

void RedisConnection::arm_write() {
  if (write_armed_ || !want_write_ || !socket_) return;
  write_armed_ = true;
  socket_->async_wait(asio::posix::stream_descriptor::wait_write,
                      [self = shared_from_this(), gen = generation_](boost::system::error_code ec) {
                        if (gen != self->generation_) return;
                        self->write_armed_ = false;
                        if (ec || !self->want_write_ || !self->context_) return;
                        redisAsyncHandleWrite(self->context_);
                        if (gen == self->generation_) self->arm_write();
                      });
}

// ---- Commands

void RedisConnection::command(std::vector<std::string> args, Callback callback) {
  asio::dispatch(strand_, [self = shared_from_this(), args = std::move(args),
                           callback = std::move(callback)]() mutable {
    self->send(std::move(args), std::move(callback), false);
  });
}

void RedisConnection::finish(RedisReply reply, Callback callback) {
  // Always later, never inside the caller's own call.
  asio::post(strand_, [reply = std::move(reply), callback = std::move(callback)]() mutable {
    guarded("a command callback", [&] { callback(std::move(reply)); });
  });
}

void RedisConnection::send(std::vector<std::string> args, Callback callback, bool before_login) {
  if (!context_ || (!before_login && state_ != State::connected)) {
    const std::string why = last_error();
    finish(RedisReply::error("redis is not connected" + (why.empty() ? "" : " (" + why + ")")),
           std::move(callback));
    return;
  }
  if (in_flight_ >= options_.max_in_flight) {
    finish(RedisReply::error("redis: too many commands waiting for a reply"), std::move(callback));
    return;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lengths;
  argv.reserve(args.size());
  lengths.reserve(args.size());
  for (const auto& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* pending = new Pending{shared_from_this(), std::move(callback)};
  if (redisAsyncCommandArgv(context_, &RedisConnection::on_reply, pending,
                            static_cast<int>(argv.size()), argv.data(),
                            lengths.data()) != REDIS_OK) {
    Callback failed = std::move(pending->callback);
    delete pending;
    finish(RedisReply::error("redis: the connection is closing"), std::move(failed));
    return;
  }
  ++in_flight_;
}

void RedisConnection::on_reply(redisAsyncContext*, void* reply, void* data) {
  std::unique_ptr<Pending> pending(static_cast<Pending*>(data));
  RedisConnection& self = *pending->self;
  --self.in_flight_;
  if (!reply) {
    // The context is going away; do not run callers' code inside hiredis's free.
    const std::string why = self.last_error();
    self.finish(RedisReply::error("redis: connection lost before the reply" +
                                  (why.empty() ? "" : " (" + why + ")")),
                std::move(pending->callback));
    return;
  }
  RedisReply value = RedisReply::from_hiredis(*static_cast<redisReply*>(reply));
  guarded("a command callback", [&] { pending->callback(std::move(value)); });
}

void RedisConnection::push(std::vector<std::string> args) {
  asio::dispatch(strand_, [self = shared_from_this(), args = std::move(args)] {
    if (!self->context_ || self->state_ != State::connected) return;
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& arg : args) {
      argv.push_back(arg.data());
      lengths.push_back(arg.size());
    }
    redisAsyncCommandArgv(self->context_, &RedisConnection::on_push_reply, self.get(),
                          static_cast<int>(argv.size()), argv.data(), lengths.data());
  });
}

void RedisConnection::on_push_reply(redisAsyncContext*, void* reply, void* data) {
  auto* self = static_cast<RedisConnection*>(data);
  if (!reply || !self->on_push_) return;  // null: the context is being freed
  const RedisReply value = RedisReply::from_hiredis(*static_cast<redisReply*>(reply));
  guarded("the push handler", [&] { self->on_push_(value); });
}

}  // namespace parley
