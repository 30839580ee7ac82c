// Fuzz target: a whole connection to the public listener fed arbitrary bytes.
// One in-process server (real sockets on 127.0.0.1) serves every input; each
// input is one fresh TCP connection. The first byte of the input says what the
// rest is:
//   0: the raw bytes of HTTP requests (parser, router, handshake check,
//      static files);
//   1: raw bytes written after a valid /ws upgrade (Beast's frame parser);
//   2: frames the harness masks for the fuzzer, each `[b0][len lo][len hi]`
//      then the payload: b0 is the first frame byte (FIN, RSV, opcode), so
//      the fuzzer reaches the protocol itself (join, relay, errors, limits).
// The client then half-closes, and the server must close the connection in
// turn: a connection that stays open after its client went away is reported
// as a finding (abort), as is any crash or sanitizer report of the server.
// A persistent second peer sits in room "fuzz" so relays have someone to reach.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include "config/config.hpp"
#include "app/server.hpp"

namespace {

[[noreturn]] void finding(const char* what) {
  __builtin_fprintf(stderr, "fuzz_session: %s\n", what);
  std::abort();
}

constexpr std::string_view kUpgrade =
    "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";

int connect_to(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) finding("socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0)
    finding("connect() failed: is the server gone?");
  // Bounded reads: a server that never closes turns into a finding, not a hang.
  timeval timeout{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// Writes everything it can; the server may close early (that is allowed).
void write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

// Reads until the server's EOF (or a reset). False on timeout.
bool read_until_closed(int fd) {
  char chunk[16384];
  for (;;) {
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n > 0) continue;
    if (n == 0) return true;
    if (errno == EINTR) continue;
    return errno != EAGAIN && errno != EWOULDBLOCK;
  }
}

// Reads the 101 answer's head; returns false if the upgrade was refused.
bool read_upgrade(int fd) {
  std::string head;
  char c;
  while (head.size() < 4096 && head.find("\r\n\r\n") == std::string::npos) {
    if (::recv(fd, &c, 1, 0) != 1) return false;
    head.push_back(c);
  }
  return head.rfind("HTTP/1.1 101", 0) == 0;
}

std::string masked_frames(std::string_view spec) {
  std::string out;
  const unsigned char key[4] = {0x37, 0xfa, 0x21, 0x3d};
  while (!spec.empty()) {
    const auto b0 = static_cast<unsigned char>(spec[0]);
    std::size_t length = 0;
    if (spec.size() >= 3)
      length = static_cast<unsigned char>(spec[1]) | (static_cast<unsigned char>(spec[2]) << 8);
    spec.remove_prefix(std::min<std::size_t>(3, spec.size()));
    length = std::min(length, spec.size());
    const std::string_view payload = spec.substr(0, length);
    spec.remove_prefix(length);
    out.push_back(static_cast<char>(b0));
    if (length < 126) {
      out.push_back(static_cast<char>(0x80 | length));
    } else {
      out.push_back(static_cast<char>(0x80 | 126));
      out.push_back(static_cast<char>(length >> 8));
      out.push_back(static_cast<char>(length & 0xff));
    }
    for (unsigned char k : key) out.push_back(static_cast<char>(k));
    for (std::size_t i = 0; i < payload.size(); ++i)
      out.push_back(static_cast<char>(payload[i] ^ key[i % 4]));
  }
  return out;
}

class Fixture {
 public:
  Fixture() {
    spdlog::set_level(spdlog::level::off);
    // OpenSSL sets itself up on first use; on the server's thread that would
    // leave its per-thread setup behind when the thread ends (a leak report).
    OPENSSL_init_ssl(OPENSSL_INIT_LOAD_CONFIG, nullptr);
    const auto root = std::filesystem::temp_directory_path() /
                      ("parley-fuzz-session-" + std::to_string(getpid()));
    std::filesystem::create_directories(root);
    std::ofstream(root / "index.html") << "<!doctype html><title>fuzz</title>";
    parley::Config config;
    config.listen.address = "127.0.0.1";
    config.listen.port = 0;
    config.admin.address = "127.0.0.1";
    config.admin.port = 0;
    config.threads = 1;
    config.static_dir = root.string();
    config.log.level = "off";
    config.allowed_origins = {"https://allowed.example"};
    config.limits.max_message_bytes = 4096;
    config.limits.max_peers_per_room = 3;
    config.limits.message_burst = 1000000;  // the parser, not the bucket, is under test
    config.limits.messages_per_second = 1000000;
    config.limits.max_send_queue_bytes = 1 << 20;
    // Also bounds a close handshake that Beast leaves waiting (a frame error
    // while our own close frame is being written): keep each input short.
    config.limits.handshake_timeout = 1;
    config.heartbeat.ping_interval = 3600;
    config.heartbeat.ping_timeout = 3600;
    config.resume.grace = 0.05;  // lost sessions of past inputs go away quickly
    server_ = std::make_unique<parley::Server>(config);
    server_->start();
    port_ = server_->public_port();
    server_thread_ = std::thread([server = server_.get()] { server->run(); });
    start_partner();
  }

  // At exit (libFuzzer's, or the replay's), the server stops before the
  // statics it logs through and the leak checker go away.
  ~Fixture() {
    ::shutdown(partner_fd_, SHUT_RDWR);
    partner_thread_.join();
    ::close(partner_fd_);
    server_->shutdown();
    server_thread_.join();
    server_.reset();
  }

  std::uint16_t port() const { return port_; }

 private:
  // A peer in room "fuzz" that reads and discards everything, for ever.
  void start_partner() {
    const int fd = partner_fd_ = connect_to(port_);
    timeval none{0, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, sizeof none);
    write_all(fd, kUpgrade);
    if (!read_upgrade(fd)) finding("the partner's upgrade was refused");
    const std::string join = R"({"type":"join","room":"fuzz"})";
    std::string spec{'\x81', static_cast<char>(join.size()), '\0'};
    write_all(fd, masked_frames(spec + join));
    partner_thread_ = std::thread([fd] {
      char chunk[16384];
      while (::recv(fd, chunk, sizeof chunk, 0) > 0) {
      }
    });
  }

  std::unique_ptr<parley::Server> server_;
  std::thread server_thread_;
  std::uint16_t port_ = 0;
  int partner_fd_ = -1;
  std::thread partner_thread_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Fixture fixture;
  if (size == 0) return 0;
  const unsigned mode = data[0] % 3;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);

  const int fd = connect_to(fixture.port());
  if (mode == 0) {
    write_all(fd, rest);
  } else {
    write_all(fd, kUpgrade);
    if (!read_upgrade(fd)) finding("a valid upgrade was refused");
    write_all(fd, mode == 1 ? std::string(rest) : masked_frames(rest));
  }
  ::shutdown(fd, SHUT_WR);
  if (!read_until_closed(fd)) finding("the server kept a connection open after its client left");
  ::close(fd);
  return 0;
}
