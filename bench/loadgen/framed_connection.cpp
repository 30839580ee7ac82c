// Length-prefixed messages over plain TCP: a 4-byte big-endian length, then
// the payload. This is what the bare epoll relay forwards, so the ceiling is
// measured with the same messages and the same checks as every server.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <cstring>
#include <vector>

#include "connection_factories.hpp"
#include "socket_setup.hpp"

namespace loadgen {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

constexpr std::size_t kHeaderBytes = 4;
constexpr std::size_t kMaxPayload = 64 * 1024 * 1024;

class FramedConnection final : public Connection,
                               public std::enable_shared_from_this<FramedConnection> {
 public:
  FramedConnection(asio::io_context& io, const Endpoint& endpoint, ConnectionHandler& handler)
      : socket_(io), endpoint_(endpoint), handler_(handler) {}

  void start(const std::string& bind_address) override {
    if (auto ec = open_client_socket(socket_, bind_address)) return finish(ec, "open/bind");
    boost::system::error_code ec;
    const tcp::endpoint target(asio::ip::make_address(endpoint_.host, ec), endpoint_.port);
    if (ec) return finish(ec, "address");
    socket_.async_connect(target, [self = shared_from_this()](boost::system::error_code ec) {
      if (ec) return self->finish(ec, "connect");
      self->socket_.set_option(tcp::no_delay(true), ec);
      self->open_ = true;
      self->handler_.on_open();
      self->read_next();
      if (!self->pending_.empty())
        self->write_next();
      else if (self->close_requested_)
        self->shutdown_sending();
    });
  }

  void send(std::string message) override {
    if (done_) return;
    std::string frame(kHeaderBytes, '\0');
    const auto size = static_cast<std::uint32_t>(message.size());
    frame[0] = static_cast<char>(size >> 24);
    frame[1] = static_cast<char>(size >> 16);
    frame[2] = static_cast<char>(size >> 8);
    frame[3] = static_cast<char>(size);
    frame += message;
    pending_.push_back(std::move(frame));
    if (open_ && !writing_) write_next();
  }

  void close() override {
    close_requested_ = true;
    if (open_ && !writing_ && !done_) shutdown_sending();
  }

  std::size_t queued() const override { return pending_.size() + in_flight_.size(); }

 private:
  void read_next() {
    if (in_.size() - used_ < 4096) in_.resize(std::max<std::size_t>(in_.size() * 2, 8192));
    socket_.async_read_some(
        asio::buffer(in_.data() + used_, in_.size() - used_),
        [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
          if (ec) {
            const bool orderly = ec == asio::error::eof && self->close_requested_;
            return self->finish(ec, orderly ? "closed" : "read");
          }
          self->used_ += n;
          if (!self->deliver_complete_frames()) return;
          if (!self->done_) self->read_next();
        });
  }

  // Hands every complete frame to the handler and keeps the partial rest.
  bool deliver_complete_frames() {
    std::size_t offset = 0;
    while (used_ - offset >= kHeaderBytes) {
      const auto* header = reinterpret_cast<const unsigned char*>(in_.data() + offset);
      const std::size_t size = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) |
                               (std::size_t{header[2]} << 8) | std::size_t{header[3]};
      if (size > kMaxPayload) {
        finish(asio::error::message_size, "frame too large");
        return false;
      }
      if (used_ - offset - kHeaderBytes < size) {
        // Make room for the whole frame before the next read.
        if (in_.size() < kHeaderBytes + size) in_.resize(kHeaderBytes + size + 4096);
        break;
      }
      handler_.on_message(std::string_view(in_.data() + offset + kHeaderBytes, size));
      if (done_) return false;
      offset += kHeaderBytes + size;
    }
    if (offset > 0) {
      std::memmove(in_.data(), in_.data() + offset, used_ - offset);
      used_ -= offset;
    }
    return true;
  }

  // Everything queued goes out in one gathered write: the ceiling must not be
  // limited by the client's system calls.
  void write_next() {
    writing_ = true;
    in_flight_.swap(pending_);
    buffers_.clear();
    for (const auto& frame : in_flight_) buffers_.push_back(asio::buffer(frame));
    asio::async_write(socket_, buffers_,
                      [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
                        self->writing_ = false;
                        self->in_flight_.clear();
                        if (ec) return self->finish(ec, "write");
                        if (!self->pending_.empty()) return self->write_next();
                        if (self->close_requested_) self->shutdown_sending();
                      });
  }

  // The relay closes its side when it reads our FIN; the read loop then ends.
  void shutdown_sending() {
    boost::system::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_send, ignored);
  }

  void finish(boost::system::error_code ec, const char* stage) {
    if (done_) return;
    done_ = true;
    const bool clean = close_requested_ && ec == asio::error::eof;
    boost::system::error_code ignored;
    socket_.close(ignored);
    handler_.on_close(clean, std::string(stage) + ": " + ec.message());
  }

  tcp::socket socket_;
  Endpoint endpoint_;
  ConnectionHandler& handler_;
  std::vector<char> in_;
  std::size_t used_ = 0;
  std::vector<std::string> pending_;
  std::vector<std::string> in_flight_;
  std::vector<asio::const_buffer> buffers_;
  bool open_ = false;
  bool writing_ = false;
  bool close_requested_ = false;
  bool done_ = false;
};

}  // namespace

std::shared_ptr<Connection> make_framed_connection(asio::io_context& io, const Endpoint& endpoint,
                                                   ConnectionHandler& handler) {
  return std::make_shared<FramedConnection>(io, endpoint, handler);
}

}  // namespace loadgen
