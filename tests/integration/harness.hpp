// Test harness for integration tests: an in-process parley server on
// 127.0.0.1 port 0, a WebSocket client, an HTTP client and a raw TCP client.
// Every wait is bounded (a timeout fails the test instead of hanging it).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <nlohmann/json.hpp>

#include "app/server.hpp"
#include "config/config.hpp"
#include "rooms/room_directory.hpp"

namespace parley::test {

using json = nlohmann::json;
using namespace std::chrono_literals;

// A certificate and key for "localhost" from scripts/dev-cert, in a directory
// of their own (removed with it).
struct DevCert {
  explicit DevCert(const std::string& name);
  ~DevCert();
  std::filesystem::path dir;
  std::string cert, key;
};

// A configuration for tests: loopback, kernel-chosen ports, no static files,
// quiet logs, 2 event-loop threads (or PARLEY_TEST_THREADS).
Config test_config();

// The daemon, in this process, on its own threads.
class TestServer {
 public:
  explicit TestServer(Config config = test_config(), std::function<Config()> reload = {});
  ~TestServer();
  std::uint16_t port() const { return server_->public_port(); }
  std::uint16_t admin_port() const { return server_->admin_port(); }
  Server& server() { return *server_; }
  // Waits (bounded) until `condition` holds; false on timeout.
  static bool eventually(const std::function<bool()>& condition,
                         std::chrono::milliseconds timeout = 5s);

 private:
  std::unique_ptr<Server> server_;
  std::thread thread_;
};

struct HttpResult {
  unsigned status = 0;
  std::string body;
  boost::beast::http::fields headers;
};

// One HTTP request on a fresh connection.
HttpResult http_request(std::uint16_t port, boost::beast::http::verb method,
                        const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers = {},
                        const std::string& body = {});
inline HttpResult http_get(std::uint16_t port, const std::string& target,
                           const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  return http_request(port, boost::beast::http::verb::get, target, headers);
}

// The value of one series of the admin listener's /metrics (e.g.
// "parley_connections" or "parley_errors_total{code=\"bad-json\"}"); throws
// when the series is absent.
double metric_value(std::uint16_t admin_port, const std::string& series);

// What the server's room directory knows now: a room (its completion
// awaited), and its counts.
std::optional<RoomInfo> room_info(TestServer& server, const std::string& room);
DirectoryCounts room_counts(TestServer& server);

// A WebSocket client speaking to /ws (or another path). Not thread-safe: use
// from the test's thread.
class WsClient {
 public:
  explicit WsClient(std::uint16_t port, const std::string& path = "/ws",
                    const std::vector<std::pair<std::string, std::string>>& headers = {});
  ~WsClient();

  // The `welcome` frame's fields, read by the constructor... only when
  // `read_welcome()` was called (most tests call it through connect_peer()).
  json read_welcome();
  const std::string& id() const { return id_; }
  const std::string& resume_token() const { return resume_; }

  void send(const json& message) { send_text(message.dump()); }
  void send_text(const std::string& text);
  void send_binary(const std::string& bytes);
  // The next message (parsed); fails the test (throws) after `timeout`.
  json recv(std::chrono::milliseconds timeout = 5s);
  // Skips messages until one of `type` arrives.
  json recv_type(const std::string& type, std::chrono::milliseconds timeout = 5s);
  // The next message as it came (not parsed: for non-JSON protocols such as
  // Engine.IO); fails the test (throws) after `timeout`.
  std::string recv_text(std::chrono::milliseconds timeout = 5s);
  // True when no message arrives within `window` (used only to check that
  // something is NOT delivered, after a later message proved the path works).
  bool quiet_for(std::chrono::milliseconds window);
  // Reads until the server closes; returns the close code (0 when the TCP
  // connection ended without a close frame).
  unsigned expect_close(std::chrono::milliseconds timeout = 5s);
  // Closes with a close frame (the session ends at once).
  void close(unsigned short code = 1000);
  // Drops the TCP connection without a close frame (the session is lost).
  void drop();

  // join + wait for joined; returns the joined frame.
  json join(const std::string& room);

 private:
  boost::asio::io_context ioc_;
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::beast::flat_buffer buffer_;
  std::string id_;
  std::string resume_;
  bool open_ = false;
};

// A connected, welcomed client.
std::unique_ptr<WsClient> connect_peer(std::uint16_t port);

// A room of two: `a` joins first, then `b`; a's peer-joined is read (a
// non-fatal failure if it is something else: callers check HasFatalFailure()).
void pair_up(WsClient& a, WsClient& b, const std::string& room);

// Returns once the server has handled everything `client` sent before: a
// connection's messages are handled in order, so the pong comes after them.
void settle(WsClient& client);

// A relayed `message` whose data is {"seq": seq}.
json message_with_seq(int seq);

// Waits until the server has turned a lost connection into an away peer (a
// peer is away exactly when the registry has a grace deadline).
bool await_away(TestServer& server);

// A raw TCP client: writes bytes, reads bytes (for malformed frames and
// half-finished handshakes).
class RawClient {
 public:
  explicit RawClient(std::uint16_t port, const std::string& address = "127.0.0.1");
  void write(const std::string& bytes);
  // Reads whatever arrives until `timeout` or EOF; returns the bytes.
  std::string read_some(std::chrono::milliseconds timeout = 5s);
  // Reads until EOF (the server closed); returns everything read; throws on timeout.
  std::string read_until_eof(std::chrono::milliseconds timeout = 5s);
  // Performs a WebSocket handshake on /ws and returns the bytes after the 101 head.
  std::string upgrade(const std::string& path = "/ws");
  bool closed_by_peer(std::chrono::milliseconds timeout = 5s);
  // Half-closes: the server reads EOF, the client can still read.
  void shutdown_send();

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
};

// The real daemon binary (PARLEYD_PATH) as a child process. Its standard
// error is read until both "listening on ... (public|admin)" lines appeared.
class DaemonProcess {
 public:
  DaemonProcess(const std::vector<std::string>& args,
                const std::vector<std::pair<std::string, std::string>>& env = {});
  ~DaemonProcess();  // SIGKILL if still running
  std::uint16_t port() const { return port_; }
  std::uint16_t admin_port() const { return admin_port_; }
  int pid() const { return pid_; }
  void signal(int signo);
  // Waits for the exit; returns the exit status (or 128+signal), or -1 on timeout.
  int wait_exit(std::chrono::milliseconds timeout = 10s);
  // Everything the daemon wrote to standard error so far.
  std::string log();
  // Resident set size in bytes (from /proc/<pid>/statm).
  std::size_t rss_bytes() const;

 private:
  void read_log_until(const std::function<bool()>& done, std::chrono::milliseconds timeout);
  int pid_ = -1;
  int stderr_fd_ = -1;
  std::string log_;
  std::uint16_t port_ = 0;
  std::uint16_t admin_port_ = 0;
  bool exited_ = false;
};

// Runs parleyd to completion with `args` (e.g. --check-config); returns
// {exit status, stdout + stderr}.
std::pair<int, std::string> run_parleyd(
    const std::vector<std::string>& args,
    const std::vector<std::pair<std::string, std::string>>& env = {});

// Writes `content` to a fresh temporary file and returns its path.
std::string write_temp_file(const std::string& content, const std::string& suffix = ".json");

// A masked client frame (RFC 6455 5.2) with the given first byte (FIN, RSV,
// opcode) and payload; `mask` false makes an (invalid) unmasked frame.
std::string make_frame(unsigned char first_byte, const std::string& payload, bool mask = true);
// The close code of a server close frame found in `bytes`, if any.
std::optional<unsigned> parse_close_code(const std::string& bytes);
// The first server close frame found in `bytes` (code and reason), if any.
struct CloseFrame {
  unsigned code = 0;
  std::string reason;
};
std::optional<CloseFrame> parse_close_frame(const std::string& bytes);

}  // namespace parley::test
