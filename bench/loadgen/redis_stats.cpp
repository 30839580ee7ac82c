#include "redis_stats.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <charconv>
#include <stdexcept>

namespace loadgen {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

// One RESP bulk string out of `buffer`, reading more from `socket` as needed.
std::string read_bulk(tcp::socket& socket, std::string& buffer) {
  for (;;) {
    const auto eol = buffer.find("\r\n");
    if (eol != std::string::npos) {
      if (buffer[0] != '$') {
        throw std::runtime_error("redis answered INFO with " + buffer.substr(0, eol));
      }
      std::size_t length = 0;
      const auto [end, error] = std::from_chars(buffer.data() + 1, buffer.data() + eol, length);
      if (error != std::errc{} || end != buffer.data() + eol) {
        throw std::runtime_error("redis: bad bulk length " + buffer.substr(0, eol));
      }
      const auto total = eol + 2 + length + 2;
      if (buffer.size() >= total) {
        std::string body = buffer.substr(eol + 2, length);
        buffer.erase(0, total);
        return body;
      }
    }
    char chunk[16384];
    const auto n = socket.read_some(asio::buffer(chunk));
    buffer.append(chunk, n);
  }
}

std::uint64_t number_after(std::string_view text, std::string_view key) {
  const auto at = text.find(key);
  if (at == std::string_view::npos) return 0;
  std::uint64_t value = 0;
  const auto* first = text.data() + at + key.size();
  std::from_chars(first, text.data() + text.size(), value);
  return value;
}

double per(double value, double over) {
  return over > 0 ? value / over : 0.0;
}

}  // namespace

RedisSample parse_redis_info(std::string_view info) {
  RedisSample sample;
  while (!info.empty()) {
    const auto eol = info.find('\n');
    std::string_view line = info.substr(0, eol);
    info = eol == std::string_view::npos ? std::string_view{} : info.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto key = line.substr(0, colon);
    const auto value = line.substr(colon + 1);
    if (key.starts_with("cmdstat_")) {
      sample.calls[std::string(key.substr(8))] = number_after(value, "calls=");
    } else if (key == "used_cpu_user" || key == "used_cpu_sys") {
      // std::from_chars for double is in GCC 11+.
      double seconds = 0;
      std::from_chars(value.data(), value.data() + value.size(), seconds);
      sample.cpu_seconds += seconds;
    }
  }
  return sample;
}

RedisSample sample_redis(const std::string& host_port) {
  const auto colon = host_port.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("--redis wants HOST:PORT");
  try {
    asio::io_context io;
    tcp::socket socket(io);
    tcp::resolver resolver(io);
    asio::connect(socket,
                  resolver.resolve(host_port.substr(0, colon), host_port.substr(colon + 1)));
    asio::write(socket, asio::buffer(std::string_view("INFO commandstats\r\nINFO cpu\r\n")));
    std::string buffer;
    std::string text = read_bulk(socket, buffer);
    text += read_bulk(socket, buffer);
    return parse_redis_info(text);
  } catch (const boost::system::system_error& e) {
    throw std::runtime_error("redis at " + host_port + ": " + e.what());
  }
}

nlohmann::json redis_activity(const RedisSample& start, const RedisSample& end, double seconds) {
  nlohmann::json calls = nlohmann::json::object();
  for (const auto& [command, total] : end.calls) {
    if (command == "info") continue;  // our own sampling
    const auto before = start.calls.find(command);
    const auto done = total - (before == start.calls.end() ? 0 : before->second);
    if (done > 0) calls[command] = done;
  }
  return {{"seconds", seconds},
          {"cpu_seconds", end.cpu_seconds - start.cpu_seconds},
          {"calls", std::move(calls)}};
}

nlohmann::json redis_per_item(const nlohmann::json& window, const nlohmann::json& idle,
                              std::uint64_t items) {
  const double seconds = window.value("seconds", 0.0);
  const double idle_seconds = idle.value("seconds", 0.0);
  const double n = static_cast<double>(items);
  const nlohmann::json none = nlohmann::json::object();
  const auto& idle_calls = idle.contains("calls") ? idle["calls"] : none;
  const auto& window_calls = window.contains("calls") ? window["calls"] : none;
  // The background expected in the window, command by command.
  auto background = [&](const std::string& command) {
    return idle_calls.contains(command)
               ? per(idle_calls[command].get<double>(), idle_seconds) * seconds
               : 0.0;
  };
  nlohmann::json by_command = nlohmann::json::object();
  double commands = 0;
  for (const auto& [command, calls] : window_calls.items()) {
    const double load = calls.get<double>() - background(command);
    commands += load;
    by_command[command] = per(load, n);
  }
  double idle_total = 0;
  for (const auto& [command, calls] : idle_calls.items()) idle_total += calls.get<double>();
  const double idle_cpu = idle.value("cpu_seconds", 0.0);
  const double cpu = window.value("cpu_seconds", 0.0);
  return {{"commands_per_item", per(commands, n)},
          {"by_command", std::move(by_command)},
          {"cpu_us_per_item", per((cpu - per(idle_cpu, idle_seconds) * seconds) * 1e6, n)},
          {"cpu_utilization", per(cpu, seconds)},
          {"idle_commands_per_second", per(idle_total, idle_seconds)},
          {"idle_cpu_utilization", per(idle_cpu, idle_seconds)}};
}

}  // namespace loadgen
