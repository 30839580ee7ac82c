// What the load generator reads about the server process (by PID, from /proc)
// and about itself: CPU time, resident memory and open file descriptors.
#pragma once

#include <cstdint>
#include <optional>

namespace loadgen {

struct ProcessSample {
  double cpu_seconds = 0;  // utime + stime of every thread, dead ones included
  std::uint64_t rss_bytes = 0;
  std::uint64_t open_fds = 0;
};

// Reads /proc/PID/{stat,statm,fd}; empty when the process is gone.
std::optional<ProcessSample> sample_process(int pid);

// CPU seconds (user + system) this process has used so far.
double own_cpu_seconds();

// CPU seconds every core of the machine has spent busy so far (/proc/stat):
// less the server's and our own, it is what other work took from the run.
double machine_busy_seconds();

// Raises the soft file-descriptor limit to the hard one; returns the new soft limit.
std::uint64_t raise_fd_limit();

}  // namespace loadgen
