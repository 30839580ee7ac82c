#include "app/server.hpp"

#include <malloc.h>
#include <sys/resource.h>
#include <csignal>

#include <future>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include "app/room_webhooks.hpp"
#include "cluster/cluster_backplane.hpp"
#include "cluster/redis_room_directory.hpp"
#include "config/redis_url.hpp"
#include "dialects/native/native_endpoint.hpp"
#include "dialects/socketio/socketio_endpoint.hpp"
#include "http/public_router.hpp"
#include "net/listener.hpp"
#include "net/tls_context.hpp"
#include "ops/admin_router.hpp"
#include "ops/logging.hpp"
#include "ops/server_context.hpp"
#include "ops/service_notifier.hpp"
#include "rooms/in_process_directory.hpp"
#include "webhooks/webhook_dispatcher.hpp"

namespace parley {

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

// How long a drain waits for close handshakes before the loop is stopped
// (the contract allows 5 s from the signal to the exit).
constexpr auto kDrainLimit = 3s;
// And how long the node then waits for Redis to take its heartbeat key away.
constexpr auto kClusterStopLimit = 500ms;
// How often lost peers whose grace is over are looked for.
constexpr auto kExpiryPeriod = 100ms;
// Every 2 s (20 expiry periods) free memory goes back to the system, when
// the allocator holds at least this much of it: a trim walks every page of
// every arena under the arena's lock, which an idle node need not pay.
constexpr unsigned kTrimEveryTicks = 20;
constexpr std::size_t kTrimAtFreeBytes = 1 << 20;

DirectoryLimits directory_limits_from(const Config& config) {
  DirectoryLimits limits;
  limits.max_peers_per_room = config.limits.max_peers_per_room;
  limits.max_rooms = config.limits.max_rooms;
  limits.resume_grace = config.resume.grace;
  limits.resume_buffer_messages = config.resume.buffer_messages;
  limits.resume_buffer_bytes = resume_buffer_bytes_for(config.limits.max_send_queue_bytes);
  limits.max_watches = config.limits.max_watches;
  return limits;
}

WebhookSettings webhook_settings_from(const Config& config) {
  WebhookSettings settings;
  settings.urls = config.webhooks.urls;
  settings.secret = config.webhooks.secret;
  settings.timeout = config.webhooks.timeout;
  settings.max_queue = config.webhooks.max_queue;
  return settings;
}

void warn_about_fd_limit(const Config& config) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY &&
      config.limits.max_connections > limit.rlim_cur)
    spdlog::warn(
        "limits.max_connections is {} but the process may open only {} files: connections "
        "beyond that fail at accept",
        config.limits.max_connections, limit.rlim_cur);
}

// A listener that cannot open names the keys that place it, and for the usual
// causes says what to do: another process (often a second parleyd) on the port,
// or a port below 1024 without the privilege to bind it.
void listen_naming_keys(Listener& listener, const std::string& address, std::uint16_t port,
                        const std::string& section, const std::string& how_to_change) {
  try {
    listener.listen(address, port);
  } catch (const ListenError& error) {
    std::string advice;
    if (error.code() == net::error::address_in_use) {
      advice = "; another process is using the port: stop it, or choose another port with " +
               how_to_change;
    } else if (error.code() == net::error::access_denied) {
      advice = "; ports below 1024 need root or CAP_NET_BIND_SERVICE: choose another port with " +
               how_to_change;
    }
    throw std::runtime_error(section + ".address / " + section + ".port: " + error.what() + advice);
  }
}

// The node's presence in the cluster (cluster.redis set): heartbeat, sweep and
// the readiness that /readyz reports (docs/cluster.md). The URL was checked when
// the configuration was read.
std::shared_ptr<ClusterBackplane> make_backplane(const Config& config,
                                                 net::any_io_executor executor) {
  std::string error;
  auto url = parse_redis_url(config.cluster.redis, error);
  if (!url) throw std::runtime_error("cluster.redis: " + error);
  BackplaneOptions options;
  options.redis.url = *url;
  options.resume_grace = config.resume.grace;
  auto backplane = ClusterBackplane::create(std::move(executor), std::move(options));
  // Tools and tests find the node's id in this line.
  spdlog::info("cluster: node {} on {}", backplane->node_id(), describe(*url));
  return backplane;
}

// With cluster.redis set, the node's backplane (not started yet: start() does
// that once the listeners are open); null otherwise.
std::shared_ptr<ClusterBackplane> backplane_for(const Config& config,
                                                net::any_io_executor executor) {
  if (config.cluster.redis.empty()) return nullptr;
  return make_backplane(config, std::move(executor));
}

// With cluster.redis set, the loop the cluster's connections run on (one thread).
std::optional<net::io_context> cluster_loop_for(const Config& config) {
  if (config.cluster.redis.empty()) return std::nullopt;
  return std::optional<net::io_context>(std::in_place, 1);
}

// The room directory: the cluster's when there is one, else this process's own.
// `lifecycle` (the webhooks) hears of the rooms' changes; the cluster's
// directory was given it at its creation.
std::shared_ptr<RoomDirectory> directory_for(const std::shared_ptr<RedisRoomDirectory>& cluster,
                                             const Clock& clock, const Config& config,
                                             RoomLifecycle* lifecycle) {
  if (cluster) return cluster;
  return std::make_shared<InProcessDirectory>(clock, directory_limits_from(config), lifecycle);
}

}  // namespace

struct Server::Impl {
  // The I/O objects; destroyed before the io_context they live on.
  struct Io {
    explicit Io(net::io_context& ioc)
        : signals(ioc), expiry_timer(ioc), watchdog_timer(ioc), drain_timer(ioc) {}
    net::signal_set signals;
    net::steady_timer expiry_timer;
    net::steady_timer watchdog_timer;
    net::steady_timer drain_timer;
    std::shared_ptr<Listener> public_listener;
    std::shared_ptr<Listener> admin_listener;
  };

  Impl(Config config, std::function<Config()> source, std::shared_ptr<const Clock> c)
      : reload_source(std::move(source)),
        clock(c ? std::move(c) : std::make_shared<SystemClock>()),
        ioc(std::in_place, config.threads == 0 ? std::max(1u, std::thread::hardware_concurrency())
                                               : config.threads),
        webhooks(std::make_unique<WebhookDispatcher>(*ioc, *clock, webhook_stats,
                                                     webhook_settings_from(config))),
        room_webhooks(*webhooks),
        cluster_ioc(cluster_loop_for(config)),
        cluster(
            backplane_for(config, cluster_ioc ? cluster_ioc->get_executor() : ioc->get_executor())),
        cluster_directory(cluster ? RedisRoomDirectory::create(
                                        cluster, directory_limits_from(config), &room_webhooks)
                                  : nullptr),
        directory(directory_for(cluster_directory, *clock, config, &room_webhooks)),
        context(*ioc, *clock, *directory, metrics),
        public_router(context),
        admin_router(context),
        native(context, public_router),
        socketio(context, public_router) {
    context.set_config(std::make_shared<const Config>(std::move(config)));
    // The dialects: one route each.
    public_router.add_dialect("/ws", /*subtree=*/false, native);
    public_router.add_dialect("/socket.io", /*subtree=*/true, socketio);
    context.reload = [this] { return do_reload(); };
    metrics.add_exposition([this] { return webhook_stats.render(); });
    if (cluster_directory)
      metrics.add_exposition([weak = std::weak_ptr(cluster_directory)] {
        auto cluster = weak.lock();
        return cluster ? cluster->render_metrics() : std::string();
      });
    io = std::make_unique<Io>(*ioc);
  }

  ~Impl() {
    stop_cluster_loop();
    cluster.reset();              // its timers go with the loop's handlers, before the loop
    socketio.abandon_sessions();  // before the loop's objects go
    io.reset();
    // Sessions hold their strand; none may outlive the io_context.
    directory->clear();
    // No more attempts; the dispatcher's pending handlers go with the loop.
    // After clear() the directory tells room_webhooks nothing more.
    webhooks.reset();
    ioc.reset();  // destroys pending handlers, and with them the sessions
  }

  bool do_reload();
  void start_cluster_loop();
  void stop_cluster_loop();
  void begin_drain();
  void wait_for_drain(std::chrono::steady_clock::time_point deadline);
  void schedule_expiry();
  void schedule_watchdog();
  void wait_for_signal();

  std::function<Config()> reload_source;
  std::shared_ptr<const Clock> clock;
  std::optional<net::io_context> ioc;
  WebhookStats webhook_stats;
  std::unique_ptr<WebhookDispatcher> webhooks;
  RoomWebhooks room_webhooks;
  // The cluster's Redis connections run on a loop and thread of their own, so
  // that what waits for a Redis answer on the main loop (the admin API's
  // queries, /metrics) never waits for its own thread, even with threads = 1.
  std::optional<net::io_context> cluster_ioc;
  std::optional<net::executor_work_guard<net::io_context::executor_type>> cluster_work;
  std::thread cluster_thread;
  // Set when cluster.redis is; `cluster_stopped` once its heartbeat key is gone.
  std::shared_ptr<ClusterBackplane> cluster;
  std::atomic<bool> cluster_stopped{true};
  std::shared_ptr<RedisRoomDirectory> cluster_directory;  // the cluster's, when set
  std::shared_ptr<RoomDirectory> directory;
  Metrics metrics;
  ServerContext context;
  PublicRouter public_router;
  AdminRouter admin_router;
  NativeEndpoint native;
  SocketioEndpoint socketio;
  ServiceNotifier notifier;
  std::unique_ptr<Io> io;
  std::atomic<bool> draining{false};
  unsigned expiry_ticks = 0;
  // The drain hands sessions to the cluster (1012) rather than ending them (1001).
  bool handing_over = false;
  bool cluster_stopped_requested = false;
};

bool Server::Impl::do_reload() {
  if (!reload_source) {
    spdlog::error("reload: the configuration was not read from a file; nothing to reload");
    return false;
  }
  notifier.reloading();
  bool applied = false;
  try {
    auto fresh = std::make_shared<const Config>(reload_source());
    auto current = context.config();
    if (fresh->tls.enabled() != current->tls.enabled() ||
        fresh->listen.address != current->listen.address ||
        fresh->listen.port != current->listen.port || fresh->admin.port != current->admin.port ||
        fresh->admin.address != current->admin.address || fresh->threads != current->threads)
      spdlog::warn("reload: listeners, TLS on/off and threads change only with a restart");
    if (fresh->tls.enabled() && current->tls.enabled())
      context.set_tls(make_tls_context(fresh->tls.cert, fresh->tls.key));
    directory->set_limits(directory_limits_from(*fresh));
    webhooks->configure(webhook_settings_from(*fresh));
    setup_logging(fresh->log);
    context.set_config(fresh);
    spdlog::info("configuration reloaded");
    applied = true;
  } catch (const ConfigError& e) {
    spdlog::error("reload failed, the old configuration stays: {}", e.what());
  } catch (const std::exception& e) {
    spdlog::error("reload failed, the old configuration stays: {}", e.what());
  }
  notifier.ready();
  return applied;
}

void Server::Impl::start_cluster_loop() {
  cluster_work.emplace(cluster_ioc->get_executor());
  cluster_thread = std::thread([this] { cluster_ioc->run(); });
}

// Stops the backplane (at once if the drain did not) and then its thread.
void Server::Impl::stop_cluster_loop() {
  if (!cluster) return;
  if (!cluster_thread.joinable()) {
    cluster->stop();
    return;
  }
  auto stopped = std::make_shared<std::promise<void>>();
  auto done = stopped->get_future();
  cluster->stop(false, [stopped] { stopped->set_value(); });
  done.wait_for(kClusterStopLimit);
  cluster_work.reset();
  cluster_ioc->stop();
  cluster_thread.join();
}

void Server::Impl::begin_drain() {
  if (draining.exchange(true)) return;
  spdlog::info("shutting down: closing {} sessions", context.sessions.size());
  context.draining = true;
  notifier.stopping();
  io->public_listener->stop();
  io->admin_listener->stop();
  io->expiry_timer.cancel();
  io->watchdog_timer.cancel();
  io->signals.cancel();
  // With the cluster reachable, a stop is a restart (cluster-v1.md): each
  // native session is closed with 1012 and handed to the cluster (the lost
  // peer's messages go to Redis), so its client resumes on another node.
  // Without it, sessions end with 1001.
  handing_over = cluster && cluster->ready();
  context.sessions.shutdown_all(handing_over ? 1012 : 1001);
  wait_for_drain(std::chrono::steady_clock::now() + kDrainLimit);
}

void Server::Impl::wait_for_drain(std::chrono::steady_clock::time_point deadline) {
  const bool sessions_gone = context.live_sockets.load() == 0;
  const bool handed_over = !handing_over || cluster_directory->hand_overs_pending() == 0;
  if (cluster && !cluster_stopped_requested &&
      ((sessions_gone && handed_over) || std::chrono::steady_clock::now() >= deadline)) {
    // Then the node leaves the cluster at once (its heartbeat key is deleted),
    // so the other nodes clean up after it without waiting for the key's TTL.
    cluster_stopped_requested = true;
    cluster->stop(true, [this] { cluster_stopped = true; });
  }
  const bool idle = sessions_gone && handed_over && cluster_stopped.load();
  if (idle || std::chrono::steady_clock::now() >= deadline + kClusterStopLimit) {
    spdlog::info("stopped");
    ioc->stop();
    return;
  }
  io->drain_timer.expires_after(10ms);
  io->drain_timer.async_wait(
      [this, deadline](boost::system::error_code) { wait_for_drain(deadline); });
}

void Server::Impl::schedule_expiry() {
  io->expiry_timer.expires_after(kExpiryPeriod);
  io->expiry_timer.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    directory->expire();
    // glibc keeps freed memory in its arenas; after a burst (connections that
    // never finished a handshake, a flood of bad input) hand it back to the
    // system, so the RSS returns near its level before the burst.
    if (++expiry_ticks % kTrimEveryTicks == 0 && mallinfo2().fordblks >= kTrimAtFreeBytes)
      malloc_trim(0);
    schedule_expiry();
  });
}

void Server::Impl::schedule_watchdog() {
  const auto interval = notifier.watchdog_interval();
  if (!interval) return;
  // Sent from the event loop itself, so a stuck loop stops the pings.
  io->watchdog_timer.expires_after(*interval);
  io->watchdog_timer.async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    notifier.watchdog();
    schedule_watchdog();
  });
}

void Server::Impl::wait_for_signal() {
  io->signals.async_wait([this](boost::system::error_code ec, int signal) {
    if (ec) return;
    if (signal == SIGHUP) {
      spdlog::info("SIGHUP: reloading the configuration");
      do_reload();
      wait_for_signal();
      return;
    }
    spdlog::info("signal {}: draining", signal);
    begin_drain();
  });
}

void check_startup_files(const Config& config) {
  if (config.tls.enabled()) make_tls_context(config.tls.cert, config.tls.key);
}

Server::Server(Config config, std::function<Config()> reload_source,
               std::shared_ptr<const Clock> clock)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(reload_source), std::move(clock))) {
}

Server::~Server() = default;

void Server::start() {
  auto& impl = *impl_;
  const auto config = impl.context.config();
  if (config->tls.enabled())
    impl.context.set_tls(make_tls_context(config->tls.cert, config->tls.key));
  const bool tls = config->tls.enabled();
  impl.io->public_listener =
      std::make_shared<Listener>(impl.context, impl.public_router,
                                 [&impl, tls] { return tls ? impl.context.tls() : nullptr; });
  impl.io->admin_listener = std::make_shared<Listener>(
      impl.context, impl.admin_router, [] { return std::shared_ptr<net::ssl::context>(); });
  listen_naming_keys(*impl.io->public_listener, config->listen.address, config->listen.port,
                     "listen", "--port N, PARLEY_LISTEN_PORT=N or listen.port in the file");
  listen_naming_keys(*impl.io->admin_listener, config->admin.address, config->admin.port, "admin",
                     "PARLEY_ADMIN_PORT=N or admin.port in the file");
  // Tools and tests find the ports in these two lines: keep their shape.
  spdlog::info("listening on {}:{} (public)", config->listen.address, public_port());
  spdlog::info("the public listener speaks {}", tls ? "https and wss" : "http and ws");
  spdlog::info("listening on {}:{} (admin)", config->admin.address, admin_port());
  warn_about_fd_limit(*config);
  if (impl.cluster) {
    impl.cluster_stopped = false;
    impl.public_router.set_ready_check([cluster = std::weak_ptr(impl.cluster)] {
      auto node = cluster.lock();
      return node && node->ready();
    });
    impl.cluster->start();
    impl.start_cluster_loop();
  }
  impl.io->public_listener->start();
  impl.io->admin_listener->start();
  impl.schedule_expiry();
  impl.schedule_watchdog();
}

void Server::handle_signals() {
  auto& signals = impl_->io->signals;
  signals.add(SIGTERM);
  signals.add(SIGINT);
  signals.add(SIGHUP);
  impl_->wait_for_signal();
}

void Server::run() {
  auto& impl = *impl_;
  impl.notifier.ready();
  const auto config = impl.context.config();
  const unsigned threads =
      config->threads == 0 ? std::max(1u, std::thread::hardware_concurrency()) : config->threads;
  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&impl] { impl.ioc->run(); });
  impl.ioc->run();
  for (auto& worker : workers) worker.join();
}

void Server::shutdown() {
  net::post(*impl_->ioc, [impl = impl_.get()] { impl->begin_drain(); });
}

bool Server::reload() {
  return impl_->do_reload();
}

std::uint16_t Server::public_port() const {
  return impl_->io->public_listener->port();
}
std::uint16_t Server::admin_port() const {
  return impl_->io->admin_listener->port();
}
RoomDirectory& Server::directory() {
  return *impl_->directory;
}
Metrics& Server::metrics() {
  return impl_->metrics;
}

}  // namespace parley
