// Churn: each pair joins a fresh room, waits until both are in (and, where
// the dialect announces joins, until each knows of the other), both leave,
// and the pair goes on to the next room. Counts join and leave operations
// (each acknowledged by the server) and times every join.
#include <chrono>

#include "clock.hpp"
#include "fleet.hpp"
#include "sampling.hpp"
#include "scenarios.hpp"

namespace loadgen {
namespace {

class ChurnScenario final : public Fleet {
 public:
  ChurnScenario(const Options& options, const Dialect& dialect, Faults& faults)
      : Fleet(options, dialect, faults, options.pairs, 2),
        cycles_(rooms_.size(), 0),
        join_latency_(engine_.threads()) {}
  ~ChurnScenario() override { engine_.stop(); }

  nlohmann::json run() {
    nlohmann::json result;
    if (!connect_all()) return result;
    allow_departures(true);  // the first to leave is announced to the other

    const auto start = now_ns();
    window_start_ = start + static_cast<std::int64_t>(options_.warmup * 1e9);
    window_end_ = window_start_ + static_cast<std::int64_t>(options_.duration * 1e9);
    engine_.run_everywhere([this](int worker) {
      for (std::size_t r = 0; r < rooms_.size(); ++r) {
        if (rooms_[r].worker == worker) start_cycle(r);
      }
    });

    sleep_until_ns(window_start_);
    const Sample first = take_sample(options_, operations_.value());
    sleep_until_ns(window_end_);
    const Sample last = take_sample(options_, operations_.value());
    stopping_.store(true);
    const bool stopped = rooms_stopped_.wait_for(rooms_.size(), std::chrono::seconds(10));
    if (!stopped) faults_.add("stuck", "some pairs did not finish their last join/leave cycle");

    result = window_figures(first, last);
    Histogram joins;
    for (const auto& h : join_latency_) joins.merge(h);
    result["join_latency_us"] = latency_figures(joins);
    std::uint64_t cycles = 0;
    for (auto c : cycles_) cycles += c;
    result["room_cycles"] = cycles;
    close_all();
    return result;
  }

 private:
  void start_cycle(std::size_t r) {
    Room& room = rooms_[r];
    room.joined = room.announced = room.left = 0;
    const std::string name = room.name + "-" + std::to_string(cycles_[r]);
    const int a = room.members[0], b = room.members[1];
    client(a).join(name, {b});
    client(b).join(name, {a});
  }

  void on_joined(Client& c) override {
    const auto now = now_ns();
    if (c.join_sent_at() >= window_start_ && c.join_sent_at() < window_end_) {
      join_latency_[c.worker()].record(static_cast<std::uint64_t>(now - c.join_sent_at()));
    }
    operations_.add();
    Room& room = room_of(c);
    ++room.joined;
    if (room_complete(room)) leave_room(room);
  }

  void on_peer_joined(Client& c) override {
    Room& room = room_of(c);
    ++room.announced;
    if (room_complete(room)) leave_room(room);
  }

  void leave_room(Room& room) {
    for (int member : room.members) client(member).leave();
  }

  void on_left(Client& c) override {
    operations_.add();
    Room& room = room_of(c);
    if (++room.left < static_cast<int>(room.members.size())) return;
    const auto r = static_cast<std::size_t>(c.room_index);
    ++cycles_[r];
    if (stopping_.load(std::memory_order_relaxed)) {
      rooms_stopped_.add();
    } else {
      start_cycle(r);
    }
  }

  std::vector<std::uint64_t> cycles_;    // per room, on the room's thread
  std::vector<Histogram> join_latency_;  // per worker
  Tally operations_;                     // joins + leaves acknowledged
  Tally rooms_stopped_;
  std::atomic<bool> stopping_{false};
  std::int64_t window_start_ = 0;
  std::int64_t window_end_ = 0;
};

}  // namespace

nlohmann::json run_churn(const Options& options, const Dialect& dialect, Faults& faults) {
  ChurnScenario scenario(options, dialect, faults);
  return scenario.run();
}

}  // namespace loadgen
