// bare_epoll_relay: the ceiling. Plain TCP, one thread, epoll, and messages
// framed by a 4-byte big-endian length: "J<key>" pairs a connection with the
// other one that sends the same key (answered "j"), "L" unpairs it (answered
// "l"), and every other frame is copied unchanged to the partner. Whatever
// one read brings in goes out to the partner in one write. No WebSocket, no
// JSON: what the kernel allows on this machine.
//
//   bare_epoll_relay [--address A] [--port N]
// Logs "listening on A:N" on stderr; SIGTERM or SIGINT stops it.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

constexpr std::size_t kHeaderBytes = 4;
constexpr std::size_t kMaxFrame = 64 * 1024 * 1024;

struct Connection {
  int fd = -1;
  std::vector<char> in;  // bytes read, not yet a complete frame
  std::string out;       // bytes to write
  std::size_t out_sent = 0;
  bool watching_out = false;
  Connection* partner = nullptr;
  std::string waiting_key;
};

class Relay {
 public:
  Relay(const std::string& address, std::uint16_t port) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    listener_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    const int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1) {
      throw std::invalid_argument("bad address " + address);
    }
    if (bind(listener_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        listen(listener_, SOMAXCONN) != 0) {
      throw std::runtime_error(std::string("bind/listen: ") + std::strerror(errno));
    }
    socklen_t length = sizeof addr;
    getsockname(listener_, reinterpret_cast<sockaddr*>(&addr), &length);
    port_ = ntohs(addr.sin_port);
    watch(listener_, EPOLLIN, nullptr);

    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigprocmask(SIG_BLOCK, &signals, nullptr);
    signal_fd_ = signalfd(-1, &signals, SFD_NONBLOCK | SFD_CLOEXEC);
    watch(signal_fd_, EPOLLIN, &signal_marker_);
  }

  std::uint16_t port() const { return port_; }

  void run() {
    std::vector<epoll_event> events(256);
    for (;;) {
      const int n = epoll_wait(epoll_, events.data(), static_cast<int>(events.size()), -1);
      if (n < 0 && errno == EINTR) continue;
      for (int i = 0; i < n; ++i) {
        void* tag = events[i].data.ptr;
        if (tag == nullptr) {
          accept_all();
        } else if (tag == &signal_marker_) {
          return;
        } else {
          auto* c = static_cast<Connection*>(tag);
          if (c->fd < 0) continue;  // closed earlier in this round
          if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
            if (!read_from(*c)) continue;  // closed
          }
          if (events[i].events & EPOLLOUT) flush(*c);
        }
      }
      // Connections are freed only between rounds of events: an event later in
      // this round may still name one that was closed earlier in it.
      closed_.clear();
    }
  }

 private:
  void watch(int fd, std::uint32_t events, void* tag) {
    epoll_event event{};
    event.events = events;
    event.data.ptr = tag;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &event);
  }

  void rewatch(Connection& c, bool want_out) {
    if (c.watching_out == want_out) return;
    c.watching_out = want_out;
    epoll_event event{};
    event.events = EPOLLIN | (want_out ? EPOLLOUT : 0u);
    event.data.ptr = &c;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, c.fd, &event);
  }

  void accept_all() {
    for (;;) {
      const int fd = accept4(listener_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto c = std::make_unique<Connection>();
      c->fd = fd;
      watch(fd, EPOLLIN, c.get());
      connections_.emplace(c.get(), std::move(c));
    }
  }

  // Reads what is there, handles every complete frame; false when closed.
  bool read_from(Connection& c) {
    char chunk[65536];
    for (;;) {
      const ssize_t n = read(c.fd, chunk, sizeof chunk);
      if (n > 0) {
        c.in.insert(c.in.end(), chunk, chunk + n);
        if (static_cast<std::size_t>(n) < sizeof chunk) break;
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (n < 0 && errno == EINTR) continue;
      close_connection(c);  // EOF or error
      return false;
    }
    std::size_t offset = 0;
    while (c.in.size() - offset >= kHeaderBytes) {
      const auto* h = reinterpret_cast<const unsigned char*>(c.in.data() + offset);
      const std::size_t size = (std::size_t{h[0]} << 24) | (std::size_t{h[1]} << 16) |
                               (std::size_t{h[2]} << 8) | std::size_t{h[3]};
      if (size > kMaxFrame) {
        close_connection(c);
        return false;
      }
      if (c.in.size() - offset - kHeaderBytes < size) break;
      const char* payload = c.in.data() + offset + kHeaderBytes;
      if (size > 0 && payload[0] == 'J') {
        join(c, std::string(payload + 1, size - 1));
        append_frame(c, "j");
      } else if (size == 1 && payload[0] == 'L') {
        leave(c);
        append_frame(c, "l");
      } else if (c.partner != nullptr) {
        c.partner->out.append(c.in.data() + offset, kHeaderBytes + size);
      }
      offset += kHeaderBytes + size;
    }
    c.in.erase(c.in.begin(), c.in.begin() + static_cast<std::ptrdiff_t>(offset));
    if (c.partner != nullptr) flush(*c.partner);
    flush(c);
    return true;
  }

  static void append_frame(Connection& c, std::string_view payload) {
    const auto size = static_cast<std::uint32_t>(payload.size());
    const char header[kHeaderBytes] = {static_cast<char>(size >> 24), static_cast<char>(size >> 16),
                                       static_cast<char>(size >> 8), static_cast<char>(size)};
    c.out.append(header, kHeaderBytes);
    c.out.append(payload);
  }

  void flush(Connection& c) {
    while (c.out_sent < c.out.size()) {
      const ssize_t n = write(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent);
      if (n > 0) {
        c.out_sent += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        rewatch(c, true);
        return;
      }
      return;  // an error: the read side will see it and close
    }
    c.out.clear();
    c.out_sent = 0;
    rewatch(c, false);
  }

  void join(Connection& c, std::string key) {
    leave(c);
    const auto it = waiting_.find(key);
    if (it == waiting_.end()) {
      c.waiting_key = key;
      waiting_.emplace(std::move(key), &c);
      return;
    }
    Connection* other = it->second;
    waiting_.erase(it);
    other->waiting_key.clear();
    other->partner = &c;
    c.partner = other;
  }

  void leave(Connection& c) {
    if (!c.waiting_key.empty()) {
      const auto it = waiting_.find(c.waiting_key);
      if (it != waiting_.end() && it->second == &c) waiting_.erase(it);
      c.waiting_key.clear();
    }
    if (c.partner != nullptr) {
      c.partner->partner = nullptr;
      c.partner = nullptr;
    }
  }

  void close_connection(Connection& c) {
    leave(c);
    epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    c.fd = -1;
    const auto it = connections_.find(&c);
    if (it != connections_.end()) {
      closed_.push_back(std::move(it->second));
      connections_.erase(it);
    }
  }

  int epoll_ = -1;
  int listener_ = -1;
  int signal_fd_ = -1;
  char signal_marker_ = 0;
  std::uint16_t port_ = 0;
  std::unordered_map<Connection*, std::unique_ptr<Connection>> connections_;
  std::vector<std::unique_ptr<Connection>> closed_;
  std::unordered_map<std::string, Connection*> waiting_;
};

}  // namespace

int main(int argc, char** argv) {
  std::string address = "127.0.0.1";
  std::uint16_t port = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--address")
      address = argv[i + 1];
    else if (flag == "--port")
      port = static_cast<std::uint16_t>(std::stoi(argv[i + 1]));
    else {
      std::cerr << "bare_epoll_relay: unknown option " << flag << std::endl;
      return 2;
    }
  }
  try {
    Relay relay(address, port);
    std::cerr << "listening on " << address << ":" << relay.port() << std::endl;
    relay.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bare_epoll_relay: " << e.what() << std::endl;
    return 1;
  }
}
