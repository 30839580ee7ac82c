// Closed-loop relay (pairs) and fan-out (rooms of N): every member passes a
// token on when its predecessor's message reaches it, so the number of
// messages in flight stays fixed and the server runs as fast as it can.
#include <atomic>
#include <chrono>

#include "clock.hpp"
#include "fleet.hpp"
#include "sampling.hpp"
#include "scenarios.hpp"

namespace loadgen {
namespace {

class RelayScenario final : public Fleet {
 public:
  RelayScenario(const Options& options, const Dialect& dialect, Faults& faults, bool fanout)
      : Fleet(options, dialect, faults, fanout ? options.rooms : options.pairs,
              fanout ? options.room_size : 2),
        fanout_(fanout),
        latency_(engine_.threads()) {}
  ~RelayScenario() override { engine_.stop(); }

  nlohmann::json run() {
    nlohmann::json result;
    if (!connect_all() || !join_all()) return result;

    const auto start = now_ns();
    window_start_ = start + static_cast<std::int64_t>(options_.warmup * 1e9);
    window_end_ = window_start_ + static_cast<std::int64_t>(options_.duration * 1e9);
    engine_.run_everywhere([this](int worker) { start_tokens(worker); });

    sleep_until_ns(window_start_);
    const Sample first = take_sample(options_, received_.value());
    sleep_until_ns(window_end_);
    const Sample last = take_sample(options_, received_.value());

    stopping_.store(true);
    const bool drained = drain();
    result = window_figures(first, last);
    Histogram latency;
    for (const auto& h : latency_) latency.merge(h);
    result["latency_us"] = latency_figures(latency);
    result["drained"] = drained;
    close_all();
    return result;
  }

 private:
  // relay: the first member of each pair starts K tokens (K in flight per
  // pair); fanout: every member starts K.
  void start_tokens(int worker) {
    for (auto& room : rooms_) {
      if (room.worker != worker) continue;
      for (std::size_t m = 0; m < room.members.size(); ++m) {
        if (!fanout_ && m > 0) break;
        for (int k = 0; k < options_.inflight; ++k) send(client(room.members[m]));
      }
    }
  }

  void send(Client& c) {
    if (options_.addressed && !fanout_) {
      const Room& room = room_of(c);
      const int mate = room.members[0] == c.index() ? room.members[1] : room.members[0];
      c.send_relay(now_ns(), client(mate).peer_id());
    } else {
      c.send_relay(now_ns());
    }
  }

  void on_relayed(Client& c, const RelayedFields& message) override {
    const auto now = now_ns();
    if (message.sent_at >= window_start_ && message.sent_at < window_end_) {
      latency_[c.worker()].record(static_cast<std::uint64_t>(now - message.sent_at));
    }
    received_.add();
    if (stopping_.load(std::memory_order_relaxed)) return;
    // Pass the token on when it comes from our predecessor in the room.
    const Room& room = room_of(c);
    const int position = c.index() - room.members.front();
    const int size = static_cast<int>(room.members.size());
    const int predecessor = room.members[(position + size - 1) % size];
    if (message.origin == predecessor) send(c);
  }

  // Waits until every message sent has arrived, then checks each receiver.
  bool drain() {
    std::atomic<std::uint64_t> expected{0};
    engine_.run_everywhere([&](int worker) {
      std::uint64_t deliveries = 0;
      for (auto& c : clients_) {
        if (c->worker() == worker) {
          deliveries += static_cast<std::uint64_t>(c->sent()) * (room_of(*c).members.size() - 1);
        }
      }
      expected += deliveries;
    });
    const bool drained = received_.wait_for(expected.load(), std::chrono::seconds(10));
    engine_.run_everywhere([this](int worker) {
      for (auto& c : clients_) {
        if (c->worker() == worker) c->check_all_received();
      }
    });
    return drained;
  }

  bool fanout_;
  std::vector<Histogram> latency_;  // per worker
  Tally received_;
  std::atomic<bool> stopping_{false};
  std::int64_t window_start_ = 0;
  std::int64_t window_end_ = 0;
};

}  // namespace

nlohmann::json run_relay(const Options& options, const Dialect& dialect, Faults& faults) {
  RelayScenario scenario(options, dialect, faults, options.mode == "fanout");
  return scenario.run();
}

}  // namespace loadgen
