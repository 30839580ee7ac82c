// Open-loop latency: messages leave on a fixed schedule whatever the server
// does, and each carries its *intended* send time, so a server (or a
// generator) that falls behind shows up as latency instead of hiding it
// (no coordinated omission). How late the generator itself sent is reported
// separately.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>

#include "clock.hpp"
#include "fleet.hpp"
#include "sampling.hpp"
#include "scenarios.hpp"

namespace loadgen {
namespace {

namespace asio = boost::asio;

// Beyond this many messages waiting in one client, the server is not keeping
// up with the offered rate: the run stops and says so.
constexpr std::size_t kOverloadQueue = 2000;

class LatencyScenario final : public Fleet {
 public:
  LatencyScenario(const Options& options, const Dialect& dialect, Faults& faults)
      : Fleet(options, dialect, faults, options.pairs, 2),
        schedules_(engine_.threads()),
        latency_(engine_.threads()),
        lateness_(engine_.threads()) {}
  ~LatencyScenario() override { engine_.stop(); }

  nlohmann::json run() {
    nlohmann::json result;
    if (!connect_all() || !join_all()) return result;

    const auto start = now_ns() + 1'000'000;
    window_start_ = start + static_cast<std::int64_t>(options_.warmup * 1e9);
    window_end_ = window_start_ + static_cast<std::int64_t>(options_.duration * 1e9);
    engine_.run_everywhere([this, start](int worker) { start_schedule(worker, start); });

    sleep_until_ns(window_start_);
    const Sample first = take_sample(options_, received_.value());
    sleep_until_ns(window_end_);
    const Sample last = take_sample(options_, received_.value());
    stopping_.store(true);
    const bool drained = drain();

    result = window_figures(first, last);
    Histogram latency, lateness;
    std::uint64_t in_window = 0;
    for (int w = 0; w < engine_.threads(); ++w) {
      latency.merge(latency_[w]);
      lateness.merge(lateness_[w]);
      in_window += schedules_[w].sent_in_window;
    }
    result["offered_per_second"] = options_.rate;
    result["sent_in_window"] = in_window;
    result["latency_us"] = latency_figures(latency);
    result["send_lateness_us"] = latency_figures(lateness);
    result["overloaded"] = overloaded_.load();
    result["drained"] = drained;
    close_all();
    return result;
  }

 private:
  struct Schedule {
    std::vector<Client*> senders;
    std::size_t cursor = 0;
    double interval_ns = 0;
    std::int64_t start = 0;
    std::uint64_t sent = 0;
    std::uint64_t sent_in_window = 0;
    std::unique_ptr<asio::steady_timer> timer;
  };

  // Each thread sends for its own clients, round robin, at its share of the
  // offered rate.
  void start_schedule(int worker, std::int64_t start) {
    Schedule& s = schedules_[worker];
    for (auto& c : clients_) {
      if (c->worker() == worker) s.senders.push_back(c.get());
    }
    if (s.senders.empty()) return;
    const double share = static_cast<double>(s.senders.size()) / clients_.size();
    s.interval_ns = 1e9 / (options_.rate * share);
    s.start = start;
    s.timer = std::make_unique<asio::steady_timer>(engine_.io(worker));
    arm(worker);
  }

  std::int64_t intended(const Schedule& s) const {
    return s.start + static_cast<std::int64_t>(static_cast<double>(s.sent) * s.interval_ns);
  }

  void arm(int worker) {
    Schedule& s = schedules_[worker];
    s.timer->expires_at(
        std::chrono::steady_clock::time_point(std::chrono::nanoseconds(intended(s))));
    s.timer->async_wait([this, worker](boost::system::error_code ec) {
      if (!ec) send_due(worker);
    });
  }

  void send_due(int worker) {
    Schedule& s = schedules_[worker];
    const auto now = now_ns();
    while (!stopping_.load(std::memory_order_relaxed) && intended(s) <= now) {
      const auto due = intended(s);
      Client& c = *s.senders[s.cursor];
      s.cursor = (s.cursor + 1) % s.senders.size();
      if (c.queued() > kOverloadQueue) {
        overloaded_.store(true);
        return;
      }
      c.send_relay(due);
      if (due >= window_start_ && due < window_end_) {
        lateness_[worker].record(static_cast<std::uint64_t>(now - due));
        ++s.sent_in_window;
      }
      ++s.sent;
    }
    if (!stopping_.load(std::memory_order_relaxed)) arm(worker);
  }

  void on_relayed(Client& c, const RelayedFields& message) override {
    const auto now = now_ns();
    if (message.sent_at >= window_start_ && message.sent_at < window_end_) {
      latency_[c.worker()].record(static_cast<std::uint64_t>(now - message.sent_at));
    }
    received_.add();
  }

  bool drain() {
    std::atomic<std::uint64_t> expected{0};
    engine_.run_everywhere([&](int worker) {
      if (schedules_[worker].timer) schedules_[worker].timer->cancel();
      std::uint64_t sent = 0;
      for (auto& c : clients_) {
        if (c->worker() == worker) sent += static_cast<std::uint64_t>(c->sent());
      }
      expected += sent;
    });
    const bool drained = received_.wait_for(expected.load(), std::chrono::seconds(20));
    engine_.run_everywhere([this](int worker) {
      for (auto& c : clients_) {
        if (c->worker() == worker) c->check_all_received();
      }
    });
    return drained;
  }

  std::vector<Schedule> schedules_;
  std::vector<Histogram> latency_;   // per worker: one-way latency
  std::vector<Histogram> lateness_;  // per worker: actual minus intended send time
  Tally received_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> overloaded_{false};
  std::int64_t window_start_ = 0;
  std::int64_t window_end_ = 0;
};

}  // namespace

nlohmann::json run_latency(const Options& options, const Dialect& dialect, Faults& faults) {
  LatencyScenario scenario(options, dialect, faults);
  return scenario.run();
}

}  // namespace loadgen
