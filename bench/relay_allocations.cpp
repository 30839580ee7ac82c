// Heap allocations per relayed message, by dialect pair (docs/benchmarks.md,
// "Allocations per relayed message"). The real room directory, native sessions
// and socket.io peers relay between each other in one process, with no
// sockets: each session writes into a WebSocket transport that only counts
// frames. Every inbox drains on its own
// strand of one io_context, as in the daemon.
//
// This executable replaces the global operator new to count calls; nothing
// else does. One figure = allocations from the sender's frame arriving to the
// last receiver's frame being queued, averaged over many messages after a
// warm-up (so the per-thread caches of Asio and the parsers are filled).
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "base/clock.hpp"
#include "base/ids.hpp"
#include "dialects/native/native_session.hpp"
#include "dialects/socketio/engineio_session.hpp"
#include "dialects/socketio/socketio_ws_link.hpp"
#include "ops/metrics.hpp"
#include "rooms/in_process_directory.hpp"

namespace {

std::atomic<std::size_t> g_allocations{0};

void* counted_new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}

void* counted_new_aligned(std::size_t size, std::align_val_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  const auto alignment = static_cast<std::size_t>(align);
  const std::size_t rounded = (size + alignment - 1) / alignment * alignment;
  if (void* p = std::aligned_alloc(alignment, rounded == 0 ? alignment : rounded)) return p;
  throw std::bad_alloc();
}

}  // namespace

// Every form of the global allocation functions, so that the count misses none.
void* operator new(std::size_t size) {
  return counted_new(size);
}
void* operator new[](std::size_t size) {
  return counted_new(size);
}
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  try {
    return counted_new(size);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t size, std::align_val_t align) {
  return counted_new_aligned(size, align);
}
void* operator new[](std::size_t size, std::align_val_t align) {
  return counted_new_aligned(size, align);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept {
  std::free(p);
}

namespace parley {
namespace {

namespace asio = boost::asio;

// A WebSocket that writes nowhere: it keeps the byte count, not the text.
class CountingTransport final : public WsTransport {
 public:
  explicit CountingTransport(asio::io_context& io) : strand_(asio::make_strand(io)) {}
  void send(SharedText text, bool) override {
    bytes += text->size();
    ++frames;
  }
  void cork() override {}
  void uncork() override {}
  void close(unsigned short, std::string_view) override { closed = true; }
  void drop() override { closed = true; }
  std::vector<SharedText> take_unsent() override { return {}; }
  std::vector<SharedText> take_queued() override { return {}; }
  asio::any_io_executor executor() override { return strand_; }
  const std::string& remote_address() const override { return address_; }

  std::size_t bytes = 0;
  std::size_t frames = 0;
  bool closed = false;

 private:
  asio::any_io_executor strand_;
  std::string address_ = "127.0.0.1";
};

struct NativeClient {
  NativeClient(ServerContext& context, const std::shared_ptr<const Config>& config)
      : transport(context.ioc), session(std::make_shared<NativeSession>(context, config)) {
    session->on_open(transport);
  }
  ~NativeClient() { session->on_closed(CloseKind::ended); }
  void say(std::string_view text) { session->on_message(text); }

  CountingTransport transport;
  std::shared_ptr<NativeSession> session;
};

// A socket.io client over a WebSocket from the start: the Engine.IO session
// and its Socket.IO peer as the endpoint makes them, on a transport that
// counts. `say` takes an Engine.IO packet.
struct SocketioClient {
  SocketioClient(ServerContext& context, const std::shared_ptr<const Config>& config)
      : transport(context.ioc), link(SocketioWsLink::direct([&context, config] {
          return std::make_shared<EngineioSession>(
              context, config, random_peer_id(), EngineioSession::Start::websocket,
              ConnectionLimiter::Slot{}, [](const std::string&) {});
        })) {
    link->on_open(transport);
  }
  ~SocketioClient() { link->on_closed(CloseKind::ended); }
  void say(std::string_view packet) { link->on_message(packet); }

  CountingTransport transport;
  std::shared_ptr<SocketioWsLink> link;
};

// A native offer whose text is `size` bytes long.
std::string native_offer(std::size_t size) {
  std::string text = R"({"type":"offer","sdp":")";
  const std::string tail = "\"}";
  text.append(size > text.size() + tail.size() ? size - text.size() - tail.size() : 0, 'v');
  return text + tail;
}

// message(room, data) of a socket.io client (an Engine.IO message), the data
// an offer of about 200 B.
std::string socketio_offer(const std::string& room) {
  return "42[\"message\",\"" + room + "\"," + native_offer(200) + "]";
}

struct Scenario {
  const char* name;
  bool native_sender;
  int native_receivers;
  int socketio_receivers;
  std::size_t size;  // of a native sender's text
};

struct Outcome {
  double allocations_per_message = 0;
  std::size_t frames_expected = 0;
  std::size_t frames_received = 0;
};

Outcome run(const Scenario& scenario) {
  asio::io_context io;
  ManualClock clock;
  Metrics metrics;
  DirectoryLimits limits;
  limits.max_peers_per_room = 8;  // the largest scenario: a sender and 7 receivers
  InProcessDirectory directory(clock, limits);
  ServerContext context(io, clock, directory, metrics);
  Config config;
  config.limits.max_peers_per_room = limits.max_peers_per_room;
  // The rate limit would refuse a benchmark's pace (the clock never moves).
  config.limits.messages_per_second = 1e9;
  config.limits.message_burst = 1'000'000'000;
  auto shared_config = std::make_shared<const Config>(config);
  context.set_config(shared_config);

  const std::string room = "bench";
  const std::string native_join = R"({"type":"join","room":")" + room + "\"}";
  const std::string socketio_join = "42[\"join\",\"" + room + "\"]";

  std::vector<std::unique_ptr<NativeClient>> natives;
  std::vector<std::unique_ptr<SocketioClient>> socketios;
  auto add_native = [&] {
    natives.push_back(std::make_unique<NativeClient>(context, shared_config));
    natives.back()->say(native_join);
    io.poll();
    return natives.back().get();
  };
  auto add_socketio = [&] {
    socketios.push_back(std::make_unique<SocketioClient>(context, shared_config));
    socketios.back()->say("40");
    socketios.back()->say(socketio_join);
    io.poll();
    return socketios.back().get();
  };

  NativeClient* native_sender = scenario.native_sender ? add_native() : nullptr;
  SocketioClient* socketio_sender = scenario.native_sender ? nullptr : add_socketio();
  for (int i = 0; i < scenario.native_receivers; ++i) add_native();
  for (int i = 0; i < scenario.socketio_receivers; ++i) add_socketio();
  io.poll();
  io.restart();

  const std::string text =
      scenario.native_sender ? native_offer(scenario.size) : socketio_offer(room);
  auto relay_one = [&] {
    if (native_sender)
      native_sender->say(text);
    else
      socketio_sender->say(text);
    io.poll();
    io.restart();
  };

  constexpr int kWarmUp = 200;
  constexpr int kMeasured = 2000;
  for (int i = 0; i < kWarmUp; ++i) relay_one();
  // Frames the receivers were sent (their join answers were before).
  auto received = [&] {
    std::size_t frames = 0;
    for (std::size_t i = native_sender ? 1 : 0; i < natives.size(); ++i)
      frames += natives[i]->transport.frames;
    for (std::size_t i = socketio_sender ? 1 : 0; i < socketios.size(); ++i)
      frames += socketios[i]->transport.frames;
    return frames;
  };
  const std::size_t frames_before = received();
  const std::size_t before = g_allocations.load();
  for (int i = 0; i < kMeasured; ++i) relay_one();
  const std::size_t after = g_allocations.load();
  const std::size_t frames = received() - frames_before;

  // Sessions end (and their posted work runs) while the context still exists.
  natives.clear();
  socketios.clear();
  io.poll();

  Outcome outcome;
  outcome.allocations_per_message = static_cast<double>(after - before) / kMeasured;
  outcome.frames_received = frames;
  outcome.frames_expected = static_cast<std::size_t>(kMeasured) *
                            (scenario.native_receivers + scenario.socketio_receivers);
  return outcome;
}

}  // namespace
}  // namespace parley

int main() {
  using parley::Scenario;
  const Scenario scenarios[] = {
      {"native -> native, 200 B", true, 1, 0, 200},
      {"native -> native, 4 KB", true, 1, 0, 4096},
      {"native -> 7 native, 200 B", true, 7, 0, 200},
      {"native -> socket.io", true, 0, 1, 200},
      {"native -> native + socket.io", true, 1, 1, 200},
      {"socket.io -> native", false, 1, 0, 200},
      {"socket.io -> socket.io", false, 0, 1, 200},
      {"native -> 7 socket.io", true, 0, 7, 200},
      {"socket.io -> 7 native", false, 7, 0, 200},
  };
  std::printf("| relay | allocations per message |\n| --- | ---: |\n");
  int failures = 0;
  for (const auto& scenario : scenarios) {
    const auto outcome = parley::run(scenario);
    // A figure means something only if every receiver got every message, once.
    if (outcome.frames_received != outcome.frames_expected) {
      std::fprintf(stderr, "%s: %zu frames received, %zu expected\n", scenario.name,
                   outcome.frames_received, outcome.frames_expected);
      ++failures;
    }
    std::printf("| %s | %.2f |\n", scenario.name, outcome.allocations_per_message);
  }
  return failures == 0 ? 0 : 1;
}
