// Idle sessions: N clients joined in rooms of 2 and doing nothing. Reports the
// server's resident memory per session, then makes them all leave and close
// and reports whether the server's descriptors and memory came back.
#include <chrono>
#include <thread>

#include "clock.hpp"
#include "fleet.hpp"
#include "sampling.hpp"
#include "scenarios.hpp"

namespace loadgen {
namespace {

class IdleScenario final : public Fleet {
 public:
  IdleScenario(const Options& options, const Dialect& dialect, Faults& faults)
      : Fleet(options, dialect, faults, options.sessions / 2, 2) {}
  ~IdleScenario() override { engine_.stop(); }

  nlohmann::json run() {
    nlohmann::json result;
    const auto baseline = sample_process(options_.server_pid);
    if (!baseline) {
      faults_.add("setup", "idle needs --server-pid of a running server");
      return result;
    }
    const auto connect_start = now_ns();
    if (!connect_all() || !join_all()) return result;
    const double setup_seconds = static_cast<double>(now_ns() - connect_start) / 1e9;

    // Let the server finish whatever it does after a burst (trim buffers,
    // run deferred frees) before its memory is read.
    std::this_thread::sleep_for(std::chrono::duration<double>(options_.settle));
    const auto joined = sample_process(options_.server_pid);

    const auto leave_start = now_ns();
    leave_all();
    close_all();
    const double teardown_seconds = static_cast<double>(now_ns() - leave_start) / 1e9;
    const auto after = wait_for_recovery(*baseline);

    const double sessions = static_cast<double>(clients_.size());
    result = {
        {"sessions", clients_.size()},
        {"setup_seconds", setup_seconds},
        {"sessions_per_second", setup_seconds > 0 ? sessions / setup_seconds : 0.0},
        {"teardown_seconds", teardown_seconds},
        {"baseline_rss_bytes", baseline->rss_bytes},
        {"baseline_fds", baseline->open_fds},
    };
    if (joined) {
      const double grown =
          static_cast<double>(joined->rss_bytes) - static_cast<double>(baseline->rss_bytes);
      result["joined_rss_bytes"] = joined->rss_bytes;
      result["joined_fds"] = joined->open_fds;
      result["rss_bytes_per_session"] = grown / sessions;
    }
    if (after) {
      result["after_rss_bytes"] = after->rss_bytes;
      result["after_fds"] = after->open_fds;
      result["after_rss_ratio"] =
          static_cast<double>(after->rss_bytes) / static_cast<double>(baseline->rss_bytes);
      result["recovery_seconds"] = recovery_seconds_;
    }
    return result;
  }

 private:
  // Polls the server (there is no event to wait for in another process) until
  // its descriptors are back to the baseline and its RSS within 10% of it, or
  // until --recovery seconds have passed; returns the last sample.
  std::optional<ProcessSample> wait_for_recovery(const ProcessSample& baseline) {
    const auto start = now_ns();
    const auto deadline = start + static_cast<std::int64_t>(options_.recovery * 1e9);
    std::optional<ProcessSample> last;
    for (;;) {
      last = sample_process(options_.server_pid);
      recovery_seconds_ = static_cast<double>(now_ns() - start) / 1e9;
      if (!last) return last;
      const bool fds_back = last->open_fds <= baseline.open_fds;
      const bool rss_back =
          static_cast<double>(last->rss_bytes) <= 1.10 * static_cast<double>(baseline.rss_bytes);
      if ((fds_back && rss_back) || now_ns() >= deadline) return last;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

  double recovery_seconds_ = 0;
};

}  // namespace

nlohmann::json run_idle(const Options& options, const Dialect& dialect, Faults& faults) {
  IdleScenario scenario(options, dialect, faults);
  return scenario.run();
}

}  // namespace loadgen
