// Does the in-process room directory scale with threads? No sockets: each of N
// threads owns two peers and, over and over, joins them into a fresh room of
// its own, relays between them and makes them leave, through the RoomDirectory
// interface; deliveries go to a PeerLink whose handler only counts them, each
// thread draining its own links on an io_context of its own (so the only state
// the threads share is the directory's).
//
// It runs each thread count with the sharded directory and with one shard (the
// single-lock directory of before), and prints operations per second, the
// ratio to one thread, and the shard locks' figures per operation: how many
// acquisitions, how often one had to wait, and how long a lock is held (the
// sampled mean). docs/benchmarks.md, "Room directory scaling", extrapolates
// from those to 16 and 64 cores.
//
//   directory_scaling [--seconds S] [--threads N] [--relays R] [--shards K] [--repeat N]
#include <time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "base/clock.hpp"
#include "rooms/in_process_directory.hpp"
#include "rooms/peer_link.hpp"

namespace {

using namespace parley;
namespace net = boost::asio;

struct Options {
  double seconds = 2;
  int max_threads = 2;
  int relays = 4;  // relays each way per join (a call's offer, answer and a few candidates)
  std::size_t shards = InProcessDirectory::kDefaultShards;
  int repeat = 5;  // runs of each configuration, interleaved; the medians are printed
};

// A session stand-in that counts what reaches it.
class CountingLink final : public PeerLink::Handler {
 public:
  CountingLink(net::io_context& io) : link(std::make_shared<PeerLink>(*this, true)) {
    link->open(net::make_strand(io), link);
  }
  ~CountingLink() { link->discard(); }
  void on_events(std::vector<Event>& batch) override { delivered += batch.size(); }
  std::vector<SharedMessage> take_unsent() override { return {}; }
  void superseded() override {}

  std::shared_ptr<PeerLink> link;
  std::size_t delivered = 0;
};

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct ThreadResult {
  std::uint64_t ops = 0;
  std::uint64_t delivered = 0;
  double cpu_seconds = 0;
};

// One thread's loop: join both, relay each way, leave both, until told to stop.
void churn(RoomDirectory& directory, int thread, int relays, const std::atomic<bool>& go,
           const std::atomic<bool>& stop, ThreadResult& out) {
  net::io_context io;
  CountingLink a(io), b(io);
  const std::string ida = directory.connect(a.link).id;
  const std::string idb = directory.connect(b.link).id;
  // Room names made once: the loop measures the directory, not string building.
  std::vector<std::string> rooms;
  for (int i = 0; i < 1024; ++i)
    rooms.push_back("room-" + std::to_string(thread) + "-" + std::to_string(i));
  const std::string text = R"({"type":"candidate","candidate":"candidate:1 1 udp 2122260223 )"
                           R"(192.0.2.1 54321 typ host","sdpMid":"0","sdpMLineIndex":0})";
  while (!go.load(std::memory_order_acquire)) std::this_thread::yield();
  const double cpu_start = thread_cpu_seconds();
  std::uint64_t ops = 0;
  bool ok = true;
  for (std::size_t round = 0; !stop.load(std::memory_order_relaxed); ++round) {
    const std::string& room = rooms[round % rooms.size()];
    directory.join(ida, room, {},
                   [&](auto r) { ok &= r.status == RoomDirectory::JoinStatus::joined; });
    directory.join(idb, room, {},
                   [&](auto r) { ok &= r.status == RoomDirectory::JoinStatus::joined; });
    for (int i = 0; i < relays; ++i) {
      ok &= directory.relay(ida, nullptr, {"candidate", text, false, RelayShape::signal}) ==
            RoomDirectory::RelayStatus::ok;
      ok &= directory.relay(idb, nullptr, {"candidate", text, false, RelayShape::signal}) ==
            RoomDirectory::RelayStatus::ok;
    }
    directory.leave(ida, [](auto) {});
    directory.leave(idb, [](auto) {});
    ops += 4 + 2 * static_cast<std::uint64_t>(relays);
    io.poll();  // the sessions' drains
  }
  out.cpu_seconds = thread_cpu_seconds() - cpu_start;
  io.poll();
  out.ops = ops;
  out.delivered = a.delivered + b.delivered;
  if (!ok) {
    std::fprintf(stderr, "thread %d: an operation failed\n", thread);
    std::exit(1);
  }
  directory.end(ida, a.link.get());
  directory.end(idb, b.link.get());
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: directory_scaling [--seconds S] [--threads N] [--relays R] [--shards K] "
               "[--repeat N]\n");
  std::exit(2);
}

struct RunResult {
  double ops_per_second = 0;
  double ops_per_cpu_second = 0;  // per thread: what the machine's other load cannot steal
  LockStats locks;
  std::uint64_t ops = 0;
};

RunResult run(std::size_t shards, int threads, const Options& options) {
  SystemClock clock;
  DirectoryLimits limits;
  InProcessDirectory directory(clock, limits, nullptr, shards);
  std::atomic<bool> go{false}, stop{false};
  std::vector<ThreadResult> results(static_cast<std::size_t>(threads));
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back(churn, std::ref(directory), t, options.relays, std::cref(go),
                         std::cref(stop), std::ref(results[static_cast<std::size_t>(t)]));
  // Connecting is not measured: the figures start here.
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  const LockStats before = directory.lock_stats();
  const auto start = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  stop.store(true, std::memory_order_relaxed);
  for (auto& worker : workers) worker.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RunResult result;
  const LockStats after = directory.lock_stats();
  result.locks = {after.acquired - before.acquired, after.waited - before.waited,
                  after.timed - before.timed, after.timed_ns - before.timed_ns,
                  after.preempted - before.preempted};
  double cpu = 0;
  for (const auto& r : results) {
    result.ops += r.ops;
    cpu += r.cpu_seconds;
  }
  result.ops_per_second = static_cast<double>(result.ops) / elapsed;
  result.ops_per_cpu_second = static_cast<double>(result.ops) / cpu;
  return result;
}

Options parse(int argc, char** argv) {
  Options options;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view flag = argv[i];
    const char* value = argv[i + 1];
    if (flag == "--seconds")
      options.seconds = std::atof(value);
    else if (flag == "--threads")
      options.max_threads = std::atoi(value);
    else if (flag == "--relays")
      options.relays = std::atoi(value);
    else if (flag == "--shards")
      options.shards = static_cast<std::size_t>(std::atoll(value));
    else if (flag == "--repeat")
      options.repeat = std::max(1, std::atoi(value));
    else
      usage();
  }
  if (argc % 2 == 0) usage();
  return options;
}

// One configuration's figures over the repeats.
struct Series {
  std::size_t shards;
  int threads;
  std::vector<RunResult> runs;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

template <class F>
double median_of(const std::vector<RunResult>& runs, F&& f) {
  std::vector<double> values;
  for (const auto& r : runs) values.push_back(f(r));
  return median(values);
}

double locks_per_op(const RunResult& r) {
  return static_cast<double>(r.locks.acquired) / static_cast<double>(r.ops);
}
double waited_percent(const RunResult& r) {
  return 100.0 * static_cast<double>(r.locks.waited) / static_cast<double>(r.locks.acquired);
}
double hold_ns(const RunResult& r) {
  return r.locks.timed ? static_cast<double>(r.locks.timed_ns) / static_cast<double>(r.locks.timed)
                       : 0;
}

}  // namespace

int main(int argc, char** argv) {
  const Options options = parse(argc, argv);
  std::printf(
      "directory_scaling: %.1f s per run, %d run(s) per configuration, %d relays each way per "
      "join, %u cores\n",
      options.seconds, options.repeat, options.relays, std::thread::hardware_concurrency());
  std::vector<Series> series;
  for (const std::size_t shards : {std::size_t{1}, options.shards})
    for (int threads = 1; threads <= options.max_threads; ++threads)
      series.push_back({shards, threads, {}});
  // A short run first, not counted: the allocator's arenas and the page
  // cache warm up on it instead of on the first measured configuration.
  Options warm = options;
  warm.seconds = 0.3;
  (void)run(options.shards, options.max_threads, warm);
  // Interleaved, so that a burst of other work on the machine hits every
  // configuration alike.
  for (int round = 0; round < options.repeat; ++round)
    for (auto& s : series) {
      s.runs.push_back(run(s.shards, s.threads, options));
      const RunResult& r = s.runs.back();
      std::printf(
          "run %d: shards %zu threads %d: %.0f ops/s, %.0f ops per CPU-second per thread, "
          "%.2f locks/op, %.3f%% waited, %.0f ns held (%llu preempted holds left out)\n",
          round + 1, s.shards, s.threads, r.ops_per_second, r.ops_per_cpu_second, locks_per_op(r),
          waited_percent(r), hold_ns(r), static_cast<unsigned long long>(r.locks.preempted));
      std::fflush(stdout);
    }

  // ratio: ops/s against one thread of the same directory, in the same round
  // (the runs of a round follow each other within seconds, so a change in
  // the machine's other load between rounds cancels out), the median over
  // rounds; cpu-ratio: the same from CPU time (threads x ops per CPU-second
  // against one thread's), what the ratio would be with a free core per
  // thread.
  std::printf("\nmedians:\n%-7s %-7s %12s %7s %14s %9s %9s %9s %9s %10s\n", "shards", "threads",
              "ops/s", "ratio", "ops/cpu-s/thr", "cpu-ratio", "locks/op", "waited%", "hold-ns",
              "hold-ns/op");
  const Series* one = nullptr;  // the one-thread series of the same directory
  for (const auto& s : series) {
    const double ops = median_of(s.runs, [](const RunResult& r) { return r.ops_per_second; });
    const double cpu = median_of(s.runs, [](const RunResult& r) { return r.ops_per_cpu_second; });
    if (s.threads == 1) one = &s;
    std::vector<double> ratios, cpu_ratios;
    for (std::size_t i = 0; i < s.runs.size(); ++i) {
      ratios.push_back(s.runs[i].ops_per_second / one->runs[i].ops_per_second);
      cpu_ratios.push_back(s.threads * s.runs[i].ops_per_cpu_second /
                           one->runs[i].ops_per_cpu_second);
    }
    const double locks = median_of(s.runs, locks_per_op);
    const double hold = median_of(s.runs, hold_ns);
    std::printf("%-7zu %-7d %12.0f %7.2f %14.0f %9.2f %9.2f %9.3f %9.0f %10.0f\n", s.shards,
                s.threads, ops, median(ratios), cpu, median(cpu_ratios), locks,
                median_of(s.runs, waited_percent), hold, hold * locks);
  }
  return 0;
}
