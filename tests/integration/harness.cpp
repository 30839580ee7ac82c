#include "harness.hpp"

#include <unistd.h>

#include <cstdlib>
#include <future>
#include <random>
#include <stdexcept>

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include "rooms/room_directory.hpp"

namespace parley::test {

DevCert::DevCert(const std::string& name) {
  namespace fs = std::filesystem;
  dir = fs::temp_directory_path() / ("parley-tls-" + name + "-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  const std::string command =
      std::string(PARLEY_SOURCE_DIR) + "/scripts/dev-cert --out '" + dir.string() + "' >/dev/null";
  if (std::system(command.c_str()) != 0) throw std::runtime_error("scripts/dev-cert failed");
  cert = (dir / "cert.pem").string();
  key = (dir / "key.pem").string();
}

DevCert::~DevCert() {
  std::filesystem::remove_all(dir);
}

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = net::ip::tcp;

namespace {

// Runs `ioc` until `done` or the timeout; on timeout cancels `cancel` and
// drains the loop, then throws.
template <class Cancel>
void run_until(net::io_context& ioc, const bool& done, std::chrono::milliseconds timeout,
               Cancel cancel, const char* what) {
  ioc.restart();
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done && std::chrono::steady_clock::now() < deadline) ioc.run_one_until(deadline);
  if (!done) {
    cancel();
    ioc.restart();
    ioc.run_for(1s);
    throw std::runtime_error(std::string("timed out: ") + what);
  }
}

}  // namespace

Config test_config() {
  Config config;
  config.listen.address = "127.0.0.1";
  config.listen.port = 0;
  config.admin.address = "127.0.0.1";
  config.admin.port = 0;
  config.admin.token = "test-admin-token";
  config.static_dir = "";
  config.threads = 2;
  // scripts/tsan runs the suite with more event-loop threads than cores, to
  // give ThreadSanitizer every interleaving it can get.
  if (const char* threads = std::getenv("PARLEY_TEST_THREADS"); threads && *threads)
    config.threads = static_cast<unsigned>(std::stoul(threads));
  config.log.level = "warn";
  return config;
}

TestServer::TestServer(Config config, std::function<Config()> reload) {
  spdlog::set_level(spdlog::level::warn);
  server_ = std::make_unique<Server>(std::move(config), std::move(reload));
  server_->start();
  thread_ = std::thread([this] { server_->run(); });
}

TestServer::~TestServer() {
  server_->shutdown();
  thread_.join();
}

bool TestServer::eventually(const std::function<bool()>& condition,
                            std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);  // polling a condition, not synchronising on time
  }
  return condition();
}

HttpResult http_request(std::uint16_t port, http::verb method, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers,
                        const std::string& body) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  stream.expires_after(10s);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  for (const auto& [name, value] : headers) req.set(name, value);
  if (!body.empty()) {
    req.body() = body;
    req.prepare_payload();
  }
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  bool done = false;
  beast::error_code result;
  http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
    if (ec) {
      result = ec;
      done = true;
      return;
    }
    http::async_read(stream, buffer, res, [&](beast::error_code ec2, std::size_t) {
      result = ec2;
      done = true;
    });
  });
  run_until(
      ioc, done, 10s, [&] { stream.close(); }, "HTTP request");
  if (result) throw std::runtime_error("HTTP request failed: " + result.message());
  HttpResult out;
  out.status = res.result_int();
  out.body = res.body();
  for (const auto& field : res) out.headers.set(field.name_string(), field.value());
  return out;
}

std::optional<RoomInfo> room_info(TestServer& server, const std::string& room) {
  std::promise<std::optional<RoomInfo>> answer;
  auto info = answer.get_future();
  server.server().directory().room(
      room, [&answer](std::optional<RoomInfo> found) { answer.set_value(std::move(found)); });
  return info.get();
}

DirectoryCounts room_counts(TestServer& server) {
  return server.server().directory().counts();
}

double metric_value(std::uint16_t admin_port, const std::string& series) {
  const std::string body = http_get(admin_port, "/metrics").body;
  const std::string prefix = series + " ";
  for (std::size_t pos = 0; pos < body.size();) {
    const std::size_t end = std::min(body.find('\n', pos), body.size());
    if (body.compare(pos, prefix.size(), prefix) == 0)
      return std::stod(body.substr(pos + prefix.size(), end - pos - prefix.size()));
    pos = end + 1;
  }
  throw std::runtime_error("no metric " + series);
}

WsClient::WsClient(std::uint16_t port, const std::string& path,
                   const std::vector<std::pair<std::string, std::string>>& headers)
    : ws_(ioc_) {
  beast::get_lowest_layer(ws_).expires_after(10s);
  beast::get_lowest_layer(ws_).connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  beast::get_lowest_layer(ws_).expires_never();
  ws_.set_option(websocket::stream_base::decorator([headers](websocket::request_type& req) {
    for (const auto& [name, value] : headers) req.set(name, value);
  }));
  ws_.read_message_max(64 * 1024 * 1024);
  bool done = false;
  beast::error_code result;
  ws_.async_handshake("127.0.0.1", path, [&](beast::error_code ec) {
    result = ec;
    done = true;
  });
  run_until(
      ioc_, done, 10s, [&] { beast::get_lowest_layer(ws_).close(); }, "WebSocket handshake");
  if (result) throw std::runtime_error("WebSocket handshake failed: " + result.message());
  open_ = true;
}

WsClient::~WsClient() {
  if (!open_) return;
  // Leave like a browser tab that closes: a close frame, bounded in time.
  try {
    close();
  } catch (...) {
  }
}

json WsClient::read_welcome() {
  json welcome = recv();
  if (welcome.value("type", "") != "welcome")
    throw std::runtime_error("expected welcome, got " + welcome.dump());
  id_ = welcome.at("id").get<std::string>();
  resume_ = welcome.at("resume").get<std::string>();
  return welcome;
}

void WsClient::send_text(const std::string& text) {
  ws_.text(true);
  bool done = false;
  beast::error_code result;
  ws_.async_write(net::buffer(text), [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  run_until(
      ioc_, done, 10s, [&] { beast::get_lowest_layer(ws_).close(); }, "send");
  if (result) throw std::runtime_error("send failed: " + result.message());
}

void WsClient::send_binary(const std::string& bytes) {
  ws_.binary(true);
  bool done = false;
  beast::error_code result;
  ws_.async_write(net::buffer(bytes), [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  run_until(
      ioc_, done, 10s, [&] { beast::get_lowest_layer(ws_).close(); }, "send");
  ws_.text(true);
  if (result) throw std::runtime_error("send failed: " + result.message());
}

json WsClient::recv(std::chrono::milliseconds timeout) {
  bool done = false;
  beast::error_code result;
  ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  run_until(
      ioc_, done, timeout, [&] { beast::get_lowest_layer(ws_).close(); }, "recv");
  if (result) {
    open_ = false;
    throw std::runtime_error("recv failed: " + result.message());
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return json::parse(text);
}

std::string WsClient::recv_text(std::chrono::milliseconds timeout) {
  bool done = false;
  beast::error_code result;
  ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
    result = ec;
    done = true;
  });
  run_until(
      ioc_, done, timeout, [&] { beast::get_lowest_layer(ws_).close(); }, "recv_text");
  if (result) {
    open_ = false;
    throw std::runtime_error("recv_text failed: " + result.message());
  }
  std::string text = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  return text;
}

json WsClient::recv_type(const std::string& type, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left <= 0ms) throw std::runtime_error("timed out waiting for " + type);
    json message = recv(left);
    if (message.value("type", "") == type) return message;
  }
}

bool WsClient::quiet_for(std::chrono::milliseconds window) {
  bool done = false;
  ws_.async_read(buffer_, [&](beast::error_code, std::size_t) { done = true; });
  ioc_.restart();
  ioc_.run_for(window);
  if (done) return false;
  // Nothing arrived: cancel the read. The stream cannot be used afterwards.
  beast::get_lowest_layer(ws_).close();
  ioc_.restart();
  ioc_.run_for(1s);
  open_ = false;
  return true;
}

unsigned WsClient::expect_close(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    bool done = false;
    beast::error_code result;
    ws_.async_read(buffer_, [&](beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    run_until(
        ioc_, done,
        std::max(1ms, std::chrono::duration_cast<std::chrono::milliseconds>(
                          deadline - std::chrono::steady_clock::now())),
        [&] { beast::get_lowest_layer(ws_).close(); }, "close");
    buffer_.consume(buffer_.size());
    if (!result) continue;  // a message before the close
    open_ = false;
    if (result == websocket::error::closed) return ws_.reason().code;
    return 0;
  }
}

void WsClient::close(unsigned short code) {
  if (!open_) return;
  open_ = false;
  bool done = false;
  ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code)),
                  [&](beast::error_code) { done = true; });
  try {
    run_until(
        ioc_, done, 5s, [&] { beast::get_lowest_layer(ws_).close(); }, "close");
  } catch (...) {
  }
}

void WsClient::drop() {
  open_ = false;
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(ws_).socket();
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

json WsClient::join(const std::string& room) {
  send({{"type", "join"}, {"room", room}});
  json joined = recv();
  if (joined.value("type", "") != "joined")
    throw std::runtime_error("expected joined, got " + joined.dump());
  return joined;
}

std::unique_ptr<WsClient> connect_peer(std::uint16_t port) {
  auto client = std::make_unique<WsClient>(port);
  client->read_welcome();
  return client;
}

RawClient::RawClient(std::uint16_t port, const std::string& address) : socket_(ioc_) {
  socket_.connect(tcp::endpoint(net::ip::make_address(address), port));
}

void RawClient::write(const std::string& bytes) {
  net::write(socket_, net::buffer(bytes));
}

std::string RawClient::read_some(std::chrono::milliseconds timeout) {
  std::string out;
  std::array<char, 65536> chunk{};
  bool done = false;
  socket_.async_read_some(net::buffer(chunk), [&](boost::system::error_code ec, std::size_t n) {
    if (!ec) out.append(chunk.data(), n);
    done = true;
  });
  ioc_.restart();
  ioc_.run_for(timeout);
  if (!done) {
    socket_.cancel();
    ioc_.restart();
    ioc_.run_for(1s);
  }
  return out;
}

std::string RawClient::read_until_eof(std::chrono::milliseconds timeout) {
  std::string out;
  std::array<char, 65536> chunk{};
  bool eof = false;
  std::function<void()> read = [&] {
    socket_.async_read_some(net::buffer(chunk), [&](boost::system::error_code ec, std::size_t n) {
      out.append(chunk.data(), n);
      if (ec) {
        eof = true;
        return;
      }
      read();
    });
  };
  read();
  run_until(
      ioc_, eof, timeout, [&] { socket_.close(); }, "EOF");
  return out;
}

bool RawClient::closed_by_peer(std::chrono::milliseconds timeout) {
  try {
    read_until_eof(timeout);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

void RawClient::shutdown_send() {
  boost::system::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
}

std::string RawClient::upgrade(const std::string& path) {
  write("GET " + path +
        " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  std::string got;
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (got.find("\r\n\r\n") == std::string::npos && std::chrono::steady_clock::now() < deadline)
    got += read_some(1s);
  if (got.rfind("HTTP/1.1 101", 0) != 0) throw std::runtime_error("upgrade refused: " + got);
  return got.substr(got.find("\r\n\r\n") + 4);
}

std::string make_frame(unsigned char first_byte, const std::string& payload, bool mask) {
  std::string frame;
  frame.push_back(static_cast<char>(first_byte));
  const unsigned char mask_bit = mask ? 0x80 : 0x00;
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(mask_bit | payload.size()));
  } else if (payload.size() < 65536) {
    frame.push_back(static_cast<char>(mask_bit | 126));
    frame.push_back(static_cast<char>((payload.size() >> 8) & 0xFF));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    frame.push_back(static_cast<char>(mask_bit | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      frame.push_back(
          static_cast<char>((static_cast<std::uint64_t>(payload.size()) >> shift) & 0xFF));
  }
  if (!mask) return frame + payload;
  const unsigned char key[4] = {0x12, 0x34, 0x56, 0x78};
  for (unsigned char k : key) frame.push_back(static_cast<char>(k));
  for (std::size_t i = 0; i < payload.size(); ++i)
    frame.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  return frame;
}

std::optional<unsigned> parse_close_code(const std::string& bytes) {
  // Walk the server's (unmasked) frames and return the first close frame's code.
  std::size_t pos = 0;
  while (pos + 2 <= bytes.size()) {
    const auto b0 = static_cast<unsigned char>(bytes[pos]);
    std::uint64_t len = static_cast<unsigned char>(bytes[pos + 1]) & 0x7F;
    std::size_t header = 2;
    if (len == 126) {
      if (pos + 4 > bytes.size()) return std::nullopt;
      len = (static_cast<unsigned char>(bytes[pos + 2]) << 8) |
            static_cast<unsigned char>(bytes[pos + 3]);
      header = 4;
    } else if (len == 127) {
      if (pos + 10 > bytes.size()) return std::nullopt;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(bytes[pos + 2 + i]);
      header = 10;
    }
    if ((b0 & 0x0F) == 0x8) {
      if (len < 2 || pos + header + 2 > bytes.size()) return std::nullopt;
      return (static_cast<unsigned char>(bytes[pos + header]) << 8) |
             static_cast<unsigned char>(bytes[pos + header + 1]);
    }
    pos += header + len;
  }
  return std::nullopt;
}

std::optional<CloseFrame> parse_close_frame(const std::string& bytes) {
  // The same walk as parse_close_code, keeping the reason too.
  std::size_t pos = 0;
  while (pos + 2 <= bytes.size()) {
    const auto b0 = static_cast<unsigned char>(bytes[pos]);
    std::uint64_t len = static_cast<unsigned char>(bytes[pos + 1]) & 0x7F;
    std::size_t header = 2;
    if (len == 126) {
      if (pos + 4 > bytes.size()) return std::nullopt;
      len = (static_cast<unsigned char>(bytes[pos + 2]) << 8) |
            static_cast<unsigned char>(bytes[pos + 3]);
      header = 4;
    } else if (len == 127) {
      if (pos + 10 > bytes.size()) return std::nullopt;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | static_cast<unsigned char>(bytes[pos + 2 + i]);
      header = 10;
    }
    if ((b0 & 0x0F) == 0x8) {
      if (len < 2 || pos + header + len > bytes.size()) return std::nullopt;
      CloseFrame frame;
      frame.code = (static_cast<unsigned char>(bytes[pos + header]) << 8) |
                   static_cast<unsigned char>(bytes[pos + header + 1]);
      frame.reason = bytes.substr(pos + header + 2, len - 2);
      return frame;
    }
    pos += header + len;
  }
  return std::nullopt;
}

void pair_up(WsClient& a, WsClient& b, const std::string& room) {
  a.join(room);
  b.join(room);
  const json announced = a.recv();
  ASSERT_EQ(announced["type"], "peer-joined") << announced.dump();
}

void settle(WsClient& client) {
  client.send({{"type", "ping"}, {"rid", "settle"}});
  const json pong = client.recv();
  EXPECT_EQ(pong["type"], "pong") << pong.dump();
}

json message_with_seq(int seq) {
  return {{"type", "message"}, {"data", {{"seq", seq}}}};
}

bool await_away(TestServer& server) {
  return TestServer::eventually(
      [&] { return server.server().directory().next_deadline().has_value(); });
}

}  // namespace parley::test

// ---- child processes -------------------------------------------------------

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <regex>

namespace parley::test {

namespace {

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

int spawn(const std::vector<std::string>& args,
          const std::vector<std::pair<std::string, std::string>>& env, int stdout_fd,
          int stderr_fd) {
  std::vector<std::string> argv{PARLEYD_PATH};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envp;
  // The inherited environment without PARLEY_* and without the variables that
  // `env` sets (getenv finds the first of two entries of one name).
  const auto set_here = [&env](std::string_view entry) {
    const auto name = entry.substr(0, entry.find('='));
    for (const auto& [k, v] : env)
      if (k == name) return true;
    return false;
  };
  for (char** e = environ; *e; ++e)
    if (std::string_view(*e).rfind("PARLEY_", 0) != 0 && !set_here(*e)) envp.emplace_back(*e);
  for (const auto& [k, v] : env) envp.push_back(k + "=" + v);
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(stdout_fd, 1);
    dup2(stderr_fd, 2);
    auto a = c_strings(argv);
    auto e = c_strings(envp);
    execve(a[0], a.data(), e.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

DaemonProcess::DaemonProcess(const std::vector<std::string>& args,
                             const std::vector<std::pair<std::string, std::string>>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  pid_ = spawn(args, env, fds[1], fds[1]);
  close(fds[1]);
  stderr_fd_ = fds[0];
  const std::regex listening(R"(listening on \S+:(\d+) \((public|admin))");
  read_log_until(
      [&] {
        for (std::sregex_iterator it(log_.begin(), log_.end(), listening), end; it != end; ++it) {
          const auto port = static_cast<std::uint16_t>(std::stoi((*it)[1]));
          ((*it)[2] == "public" ? port_ : admin_port_) = port;
        }
        return port_ != 0 && admin_port_ != 0;
      },
      15s);
  if (port_ == 0 || admin_port_ == 0)
    throw std::runtime_error("parleyd did not start listening; its log:\n" + log_);
}

DaemonProcess::~DaemonProcess() {
  if (!exited_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  if (stderr_fd_ >= 0) close(stderr_fd_);
}

void DaemonProcess::read_log_until(const std::function<bool()>& done,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char chunk[4096];
  while (!done() && std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{stderr_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    const ssize_t n = read(stderr_fd_, chunk, sizeof chunk);
    if (n <= 0) break;
    log_.append(chunk, static_cast<std::size_t>(n));
  }
}

void DaemonProcess::signal(int signo) {
  kill(pid_, signo);
}

int DaemonProcess::wait_exit(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      log();
      if (WIFEXITED(status)) return WEXITSTATUS(status);
      return 128 + WTERMSIG(status);
    }
    read_log_until([] { return false; }, 20ms);
  }
  return -1;
}

std::string DaemonProcess::log() {
  read_log_until([] { return true; }, 0ms);
  char chunk[4096];
  for (;;) {
    pollfd pfd{stderr_fd_, POLLIN, 0};
    if (poll(&pfd, 1, 0) <= 0) break;
    const ssize_t n = read(stderr_fd_, chunk, sizeof chunk);
    if (n <= 0) break;
    log_.append(chunk, static_cast<std::size_t>(n));
  }
  return log_;
}

std::size_t DaemonProcess::rss_bytes() const {
  std::ifstream statm("/proc/" + std::to_string(pid_) + "/statm");
  std::size_t size = 0, resident = 0;
  statm >> size >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

std::pair<int, std::string> run_parleyd(
    const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::string>>& env) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  const int pid = spawn(args, env, fds[1], fds[1]);
  close(fds[1]);
  std::string output;
  char chunk[4096];
  ssize_t n;
  while ((n = read(fds[0], chunk, sizeof chunk)) > 0)
    output.append(chunk, static_cast<std::size_t>(n));
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), output};
}

std::string write_temp_file(const std::string& content, const std::string& suffix) {
  std::string path = "/tmp/parley-test-XXXXXX" + suffix;
  const int fd = mkstemps(path.data(), static_cast<int>(suffix.size()));
  if (fd < 0) throw std::runtime_error("mkstemps failed");
  const auto written = ::write(fd, content.data(), content.size());
  (void)written;
  close(fd);
  return path;
}

}  // namespace parley::test
