// bare_beast_relay: a WebSocket relay on Boost.Beast that does none of the
// protocol's work, the baseline for what parley's protocol costs on the same
// library. A connection sends "J<key>" to be paired with the other
// connection that sends the same key (answered "j"), "L" to unpair (answered
// "l"); any other text message is forwarded unchanged to its partner. No JSON,
// no ids, no limits, and Beast's default settings (no tuning): parley must
// pay for its protocol with tuning this relay lacks. Only TCP_NODELAY is set,
// as every server measured sets it: without it, the second piece of a message
// that Beast writes in several (its 4 KB auto-fragments) waits for a delayed
// ACK, and the relay would measure that 40 ms stall instead of the library.
//
//   bare_beast_relay [--address A] [--port N] [--tls-cert FILE --tls-key FILE]
// Logs "listening on A:N" on stderr; SIGTERM or SIGINT stops it.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <iostream>
#include <memory>
#include <string>
#include <unordered_map>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

namespace {

// One end of a pair, whatever its transport.
class Peer {
 public:
  virtual void deliver(std::string message) = 0;
  Peer* partner = nullptr;
  std::string waiting_key;  // set while unpaired after a join

 protected:
  ~Peer() = default;
};

// Single-threaded: the relay runs one io_context on one thread.
class Pairing {
 public:
  void join(Peer& peer, std::string key) {
    leave(peer);
    const auto it = waiting_.find(key);
    if (it == waiting_.end()) {
      peer.waiting_key = key;
      waiting_.emplace(std::move(key), &peer);
      return;
    }
    Peer* other = it->second;
    waiting_.erase(it);
    other->waiting_key.clear();
    other->partner = &peer;
    peer.partner = other;
  }

  void leave(Peer& peer) {
    if (!peer.waiting_key.empty()) {
      const auto it = waiting_.find(peer.waiting_key);
      if (it != waiting_.end() && it->second == &peer) waiting_.erase(it);
      peer.waiting_key.clear();
    }
    if (peer.partner != nullptr) {
      peer.partner->partner = nullptr;
      peer.partner = nullptr;
    }
  }

 private:
  std::unordered_map<std::string, Peer*> waiting_;
};

template <class WebSocket>
class Session final : public Peer, public std::enable_shared_from_this<Session<WebSocket>> {
 public:
  template <class... Args>
  Session(Pairing& pairing, Args&&... args) : ws_(std::forward<Args>(args)...), pairing_(pairing) {}
  ~Session() { pairing_.leave(*this); }

  void start() {
    if constexpr (std::is_same_v<WebSocket, websocket::stream<asio::ssl::stream<tcp::socket>>>) {
      ws_.next_layer().async_handshake(
          asio::ssl::stream_base::server,
          [self = this->shared_from_this()](boost::system::error_code ec) {
            if (ec) return self->fail();
            self->accept();
          });
    } else {
      accept();
    }
  }

  void deliver(std::string message) override {
    queue_.push_back(std::move(message));
    if (!writing_) write_next();
  }

 private:
  void accept() {
    ws_.async_accept([self = this->shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->fail();
      self->read_next();
    });
  }

  void read_next() {
    ws_.async_read(buffer_,
                   [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                     if (ec) return self->fail();
                     self->on_message();
                     self->read_next();
                   });
  }

  void on_message() {
    const auto data = buffer_.cdata();
    const std::string_view text(static_cast<const char*>(data.data()), data.size());
    if (!text.empty() && text.front() == 'J') {
      pairing_.join(*this, std::string(text.substr(1)));
      deliver("j");
    } else if (text == "L") {
      pairing_.leave(*this);
      deliver("l");
    } else if (partner != nullptr) {
      partner->deliver(std::string(text));
    }
    buffer_.consume(buffer_.size());
  }

  void write_next() {
    writing_ = true;
    ws_.text(true);
    ws_.async_write(asio::buffer(queue_.front()),
                    [self = this->shared_from_this()](boost::system::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec) return self->fail();
                      self->queue_.pop_front();
                      if (!self->queue_.empty()) self->write_next();
                    });
  }

  // The session ends: its partner must not deliver to it any more.
  void fail() {
    pairing_.leave(*this);
    queue_.clear();
  }

  WebSocket ws_;
  Pairing& pairing_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  bool writing_ = false;
};

struct Options {
  std::string address = "127.0.0.1";
  unsigned short port = 0;
  std::string tls_cert;
  std::string tls_key;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    const std::string value = argv[i + 1];
    if (flag == "--address")
      o.address = value;
    else if (flag == "--port")
      o.port = static_cast<unsigned short>(std::stoi(value));
    else if (flag == "--tls-cert")
      o.tls_cert = value;
    else if (flag == "--tls-key")
      o.tls_key = value;
    else
      throw std::invalid_argument("unknown option " + flag);
  }
  return o;
}

class Server {
 public:
  Server(asio::io_context& io, Pairing& pairing, const Options& options)
      : acceptor_(io, tcp::endpoint(asio::ip::make_address(options.address), options.port)),
        pairing_(pairing) {
    if (!options.tls_cert.empty()) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
      tls_->use_certificate_chain_file(options.tls_cert);
      tls_->use_private_key_file(options.tls_key, asio::ssl::context::pem);
    }
  }

  tcp::endpoint local_endpoint() const { return acceptor_.local_endpoint(); }

  void accept_next() {
    acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (!ec) {
        socket.set_option(tcp::no_delay(true), ec);
        if (tls_) {
          std::make_shared<Session<websocket::stream<asio::ssl::stream<tcp::socket>>>>(
              pairing_, std::move(socket), *tls_)
              ->start();
        } else {
          std::make_shared<Session<websocket::stream<tcp::socket>>>(pairing_, std::move(socket))
              ->start();
        }
      }
      if (ec != asio::error::operation_aborted) accept_next();
    });
  }

  void stop() {
    boost::system::error_code ignored;
    acceptor_.close(ignored);
  }

 private:
  tcp::acceptor acceptor_;
  std::unique_ptr<asio::ssl::context> tls_;
  Pairing& pairing_;
};

}  // namespace

int main(int argc, char** argv) {
  try {
    const Options options = parse(argc, argv);
    // Sessions still queued in the io_context when it is destroyed unpair
    // themselves: the pairing must outlive it.
    Pairing pairing;
    asio::io_context io{1};
    Server server(io, pairing, options);
    server.accept_next();
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code, int) {
      server.stop();
      io.stop();
    });
    const auto endpoint = server.local_endpoint();
    std::cerr << "listening on " << endpoint.address().to_string() << ":" << endpoint.port()
              << std::endl;
    io.run();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "bare_beast_relay: " << e.what() << std::endl;
    return 1;
  }
}
