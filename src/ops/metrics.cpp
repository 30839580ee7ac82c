#include "ops/metrics.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley {

namespace {

constexpr std::array<std::string_view, 4> kRelayTypes{"offer", "answer", "candidate", "message"};

std::size_t relay_index(std::string_view type) {
  for (std::size_t i = 0; i < kRelayTypes.size(); ++i)
    if (kRelayTypes[i] == type) return i;
  return kRelayTypes.size() - 1;
}

std::size_t open_fds() {
  std::error_code ec;
  std::size_t n = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return n;
}

std::size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

void header(std::ostringstream& out, const char* name, const char* type, const char* help) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

void Metrics::count_relay(std::string_view type) {
  relayed_[relay_index(type)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::count_error(ErrorCode code) {
  errors_[static_cast<std::size_t>(code)].fetch_add(1, std::memory_order_relaxed);
}

void Metrics::observe_relay_latency(double seconds) {
  std::size_t bucket = 0;
  while (bucket < kLatencyBuckets.size() && seconds > kLatencyBuckets[bucket]) ++bucket;
  latency_counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  latency_sum_ns_.fetch_add(static_cast<std::uint64_t>(seconds * 1e9), std::memory_order_relaxed);
}

std::string Metrics::render(const DirectoryCounts& rooms) const {
  std::ostringstream out;
  header(out, "parley_connections", "gauge", "Open client sessions (both dialects).");
  out << "parley_connections " << connections.load() << '\n';
  header(out, "parley_rooms", "gauge", "Rooms that exist.");
  out << "parley_rooms " << rooms.rooms << '\n';
  header(out, "parley_peers", "gauge",
         "Peers holding a seat in a room (lost ones in their grace included).");
  out << "parley_peers " << rooms.seated << '\n';
  header(out, "parley_connections_total", "counter", "Client sessions opened.");
  out << "parley_connections_total " << connections_total.load() << '\n';
  header(out, "parley_handshake_rejections_total", "counter",
         "WebSocket handshakes refused (bad request, origin, capacity).");
  out << "parley_handshake_rejections_total " << handshake_rejections_total.load() << '\n';

  header(out, "parley_messages_relayed_total", "counter", "Client messages relayed, by type.");
  for (std::size_t i = 0; i < kRelayTypes.size(); ++i)
    out << "parley_messages_relayed_total{type=\"" << kRelayTypes[i] << "\"} " << relayed_[i].load()
        << '\n';
  header(out, "parley_errors_total", "counter", "Error frames sent to clients, by code.");
  for (std::size_t i = 0; i < kErrorCodeCount; ++i)
    out << "parley_errors_total{code=\"" << to_string(static_cast<ErrorCode>(i)) << "\"} "
        << errors_[i].load() << '\n';

  header(out, "parley_bytes_received_total", "counter", "Payload bytes of client messages.");
  out << "parley_bytes_received_total " << bytes_received_total.load() << '\n';
  header(out, "parley_bytes_sent_total", "counter", "Payload bytes of messages sent to clients.");
  out << "parley_bytes_sent_total " << bytes_sent_total.load() << '\n';
  header(out, "parley_slow_consumer_closes_total", "counter",
         "Sessions closed with 1013 because their send queue overflowed.");
  out << "parley_slow_consumer_closes_total " << slow_consumer_closes_total.load() << '\n';
  header(out, "parley_rate_limit_closes_total", "counter",
         "Sessions closed with 1008 for sustained rate abuse.");
  out << "parley_rate_limit_closes_total " << rate_limit_closes_total.load() << '\n';
  header(out, "parley_resumes_total", "counter", "Lost sessions taken over by a resume.");
  out << "parley_resumes_total " << resumes_total.load() << '\n';

  header(out, "parley_relay_latency_seconds", "histogram",
         "Time from reading a client message to queueing it for every receiver.");
  std::uint64_t cumulative = 0;
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i) {
    cumulative += latency_counts_[i].load();
    out << "parley_relay_latency_seconds_bucket{le=\"" << kLatencyBuckets[i] << "\"} " << cumulative
        << '\n';
  }
  cumulative += latency_counts_.back().load();
  out << "parley_relay_latency_seconds_bucket{le=\"+Inf\"} " << cumulative << '\n';
  out << "parley_relay_latency_seconds_sum " << static_cast<double>(latency_sum_ns_.load()) / 1e9
      << '\n';
  out << "parley_relay_latency_seconds_count " << cumulative << '\n';

  header(out, "parley_process_open_fds", "gauge", "Open file descriptors of the process.");
  out << "parley_process_open_fds " << open_fds() << '\n';
  header(out, "parley_process_resident_memory_bytes", "gauge", "Resident set size.");
  out << "parley_process_resident_memory_bytes " << resident_bytes() << '\n';
  header(out, "parley_build_info", "gauge", "Build information (always 1).");
  out << "parley_build_info{version=\"" << PARLEY_VERSION << "\"} 1\n";
  for (const auto& exposition : expositions_) out << exposition();
  return out.str();
}

}  // namespace parley
