#include "net/ws_transport.hpp"

#include "base/clock.hpp"
#include "net/coalescing_stream.hpp"
#include "net/connection_lease.hpp"
#include "net/idle_read_buffer.hpp"

#include <chrono>
#include <type_traits>

#include <spdlog/spdlog.h>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>

namespace parley {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using steady = std::chrono::steady_clock;

namespace {

// An error after which the server has sent a close frame of its own (Beast
// answers framing errors with 1002, bad UTF-8 with 1007 and oversize messages
// with 1009): the session ends at once, it is not lost.
bool server_closed_with_code(const beast::error_code& ec) {
  return ec == websocket::condition::protocol_violation ||
         ec == websocket::error::message_too_big || ec == websocket::error::buffer_overflow;
}

// RFC 6455 7.4: the codes a peer may send in a close frame. The rest (below
// 1000, 1004-1006, 1014-2999, 5000 and up) fail the connection with 1002.
bool is_valid_close_code(std::uint16_t code) {
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1013) ||
         (code >= 3000 && code <= 4999);
}

// The TCP socket under a websocket stream: a plain socket (ws://), or the one
// under a beast::tcp_stream inside TLS (wss://).
template <class Stream>
net::ip::tcp::socket& socket_of(websocket::stream<Stream>& ws) {
  auto& lowest = beast::get_lowest_layer(ws);
  if constexpr (std::is_same_v<std::decay_t<decltype(lowest)>, net::ip::tcp::socket>)
    return lowest;
  else
    return lowest.socket();
}

template <class Stream>
void close_socket(websocket::stream<Stream>& ws) {
  beast::error_code ignored;
  socket_of(ws).close(ignored);
}

template <class Stream>
class BeastWsTransport final : public WsTransport,
                               public Closable,
                               public std::enable_shared_from_this<BeastWsTransport<Stream>> {
  // Plain sessions coalesce queued messages into one send (coalescing_stream.hpp).
  static constexpr bool kCoalesces = std::is_same_v<Stream, CoalescingStream>;
  // Beast's own first guess for a read whose frame it does not know yet.
  static constexpr std::size_t kFirstReadSize = 1536;
  // What one read takes while the close handshake drains the connection.
  static constexpr std::size_t kDrainReadSize = 512;

 public:
  BeastWsTransport(Stream&& stream, ConnectionLimiter::Slot slot,
                   std::shared_ptr<WsHandler> handler, const WsLimits& limits, NetContext& context,
                   std::string remote_address)
      : ws_(std::move(stream)),
        lease_(context, std::move(slot)),
        handler_(std::move(handler)),
        limits_(limits),
        context_(context),
        remote_address_(std::move(remote_address)),
        timer_(ws_.get_executor()) {}

  void start(HttpRequest&& request) {
    beast::error_code ignored;
    socket_of(ws_).set_option(net::ip::tcp::no_delay(true), ignored);
    websocket::stream_base::timeout timeouts{};
    timeouts.handshake_timeout = seconds(limits_.handshake_timeout);
    timeouts.idle_timeout = websocket::stream_base::none();  // our own heartbeat
    timeouts.keep_alive_pings = false;
    ws_.set_option(timeouts);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(beast::http::field::server, "parley"); }));
    ws_.read_message_max(limits_.max_message_bytes);
    ws_.auto_fragment(false);
    ws_.text(true);
    ws_.control_callback([this](websocket::frame_type kind, std::string_view) {
      heard();
      if (kind == websocket::frame_type::close) on_close_frame();
    });
    ws_.async_accept(
        request, beast::bind_front_handler(&BeastWsTransport::on_accept, this->shared_from_this()));
  }

  // WsTransport
  void send(SharedText text, bool relay) override {
    if (finished_) return;
    queued_bytes_ += text->size();
    queue_.push_back({std::move(text), relay});
    if (queued_bytes_ > limits_.max_send_queue_bytes) {
      context_.counters.slow_consumer_closes_total.fetch_add(1, std::memory_order_relaxed);
      close_with(1013, "send queue overflow: the client reads too slowly", CloseKind::ended);
      return;
    }
    if (!writing_ && !corked_) write_next();
  }

  void cork() override { corked_ = true; }
  void uncork() override {
    corked_ = false;
    if (!writing_) write_next();
  }

  void close(unsigned short code, std::string_view reason) override {
    close_with(code, reason, CloseKind::ended);
  }

  void drop() override {
    if (finished_) return;
    finish(CloseKind::lost);
    close_socket(ws_);
  }

  std::vector<SharedText> take_unsent() override {
    std::vector<SharedText> unsent;
    // The message whose write failed did not arrive whole, so it is kept too. A
    // write merely pending when a read noticed the loss is not: its bytes may all
    // be with the client already (its completion just has not run yet). Held
    // messages (coalesced, not yet flushed) are with the client only once the
    // write that flushes them is under way.
    const bool flushing = writing_ && !write_held_;
    if (write_failed_ || !flushing)
      for (auto& text : held_) unsent.push_back(std::move(text));
    std::vector<SharedText>().swap(held_);
    if (in_flight_ && in_flight_relay_ && (write_failed_ || (writing_ && write_held_)))
      unsent.push_back(in_flight_);
    for (std::size_t i = queue_head_; i < queue_.size(); ++i)
      if (queue_[i].relay) unsent.push_back(std::move(queue_[i].text));
    clear_queue();
    queued_bytes_ = 0;
    return unsent;
  }

  std::vector<SharedText> take_queued() override {
    std::vector<SharedText> queued;
    for (std::size_t i = queue_head_; i < queue_.size(); ++i)
      if (queue_[i].relay) queued.push_back(std::move(queue_[i].text));
    clear_queue();
    queued_bytes_ = 0;
    return queued;
  }

  net::any_io_executor executor() override { return ws_.get_executor(); }
  const std::string& remote_address() const override { return remote_address_; }

  // Closable: from any thread.
  void shutdown(unsigned short code) override {
    net::post(ws_.get_executor(), [self = this->shared_from_this(), code] {
      // 1012 (a cluster node restarting) keeps the session for a resume.
      self->close_with(code, code == 1012 ? "service restart" : "server going away",
                       code == 1012 ? CloseKind::lost : CloseKind::ended);
    });
  }

 private:
  struct Item {
    SharedText text;
    bool relay;
  };

  void on_accept(beast::error_code ec) {
    if (ec) {
      spdlog::debug("websocket handshake from {} failed: {}", remote_address_, ec.message());
      return;  // no session was opened; the lease is given back with us
    }
    opened_ = true;
    lease_.open(this->weak_from_this(), limits_.counts_as_new_connection
                                            ? ConnectionLease::Count::new_connection
                                            : ConnectionLease::Count::open);
    spdlog::debug("connection opened from {}", remote_address_);
    heard();
    last_ping_ = steady::now();
    auto handler = handler_;  // on_open may close, which releases handler_
    handler->on_open(*this);
    if (context_.draining.load()) {
      close_with(1001, "server going away", CloseKind::ended);
      return;
    }
    schedule_heartbeat();
    read_next();
  }

  // The read loop reads a message piece by piece with async_read_some, not with
  // websocket::async_read: Beast 1.81's async_read sizes each piece with
  // read_size_hint, which asserts (rd_remain > 0) when our own close operation
  // has drained the rest of a frame between two pieces of a message. That
  // happens whenever a close from outside the read (a rate-limit verdict, a
  // shutdown) meets a message that arrives in more than one read, and every
  // message does here: the idle buffer takes its first byte alone.
  void read_next() {
    ws_.async_read_some(
        buffer_.prepare(next_read_size()),
        beast::bind_front_handler(&BeastWsTransport::on_read_some, this->shared_from_this()));
  }

  std::size_t next_read_size() const {
    // Once our close is under way Beast's close operation owns the frame state,
    // and the read only waits to end with operation_aborted: any size will do,
    // and read_size_hint must not be asked.
    if (finished_) return kDrainReadSize;
    // An idle session waits for the first byte of its next message in one byte
    // of the buffer's own (idle_read_buffer.hpp); then Beast knows the frame.
    if (buffer_.size() == 0) return 1;
    return ws_.read_size_hint(kFirstReadSize);
  }

  void on_read_some(beast::error_code ec, std::size_t bytes) {
    buffer_.commit(bytes);
    if (ec) return fail(ec);
    heard();
    context_.counters.bytes_received_total.fetch_add(bytes, std::memory_order_relaxed);
    if (finished_) {
      buffer_.release();  // closing: what still arrives is not read, only drained
      return read_next();
    }
    if (!ws_.is_message_done()) return read_next();
    if (!ws_.got_text()) {
      close_with(1003, "binary messages are not accepted", CloseKind::ended);
    } else {
      const auto data = buffer_.cdata();
      auto handler = handler_;  // on_message may close, which releases handler_
      handler->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
    }
    // An idle session should hold no read buffer (thousands of idle sessions
    // are the normal case); the next message allocates one of the right size.
    buffer_.release();
    read_next();  // also while closing: the close handshake completes in a read
  }

  // Called by Beast inside the read, after it parsed a close frame and before it
  // echoes it. Beast has already failed a one-byte body and the codes RFC 6455
  // reserves below 5000 with 1002; codes from 5000 up it would echo. Closing
  // here first makes Beast send our 1002 instead of its echo.
  void on_close_frame() {
    const std::uint16_t code = ws_.reason().code;
    if (code == websocket::close_code::none || is_valid_close_code(code)) return;
    close_with(1002, "invalid close code", CloseKind::ended);
  }

  // The one place where a read error decides how the session ended.
  void fail(beast::error_code ec) {
    if (finished_) return;
    if (ec == websocket::error::closed) {
      finish(CloseKind::ended);  // the client's close frame
    } else if (server_closed_with_code(ec)) {
      spdlog::debug("closing {}: {}", remote_address_, ec.message());
      finish(CloseKind::ended);
    } else {
      spdlog::debug("connection from {} lost: {}", remote_address_, ec.message());
      finish(CloseKind::lost);
    }
  }

  void write_next() {
    if (queue_head_ == queue_.size() || finished_) return;
    writing_ = true;
    Item& next = queue_[queue_head_++];
    in_flight_ = std::move(next.text);
    in_flight_relay_ = next.relay;
    queued_bytes_ -= in_flight_->size();
    const bool more = queue_head_ < queue_.size();
    if (!more) clear_queue();
    if constexpr (kCoalesces) {
      // With more to come, this message waits in the stream for the last one.
      write_held_ = more;
      ws_.next_layer().hold(more);
    }
    ws_.async_write(net::buffer(*in_flight_), beast::bind_front_handler(&BeastWsTransport::on_write,
                                                                        this->shared_from_this()));
  }

  void on_write(beast::error_code ec, std::size_t bytes) {
    writing_ = false;
    if (ec) {
      if (!finished_) {
        spdlog::debug("write to {} failed: {}", remote_address_, ec.message());
        write_failed_ = true;
        drop();  // a write error is a lost connection; the failed message is kept
      }
      in_flight_.reset();
      return;
    }
    if (!write_held_)
      std::vector<SharedText>().swap(held_);  // flushed with that write; keep no buffer
    else if (in_flight_relay_)
      held_.push_back(std::move(in_flight_));
    in_flight_.reset();
    context_.counters.bytes_sent_total.fetch_add(bytes, std::memory_order_relaxed);
    write_next();
  }

  void close_with(unsigned short code, std::string_view reason, CloseKind kind) {
    if (finished_) return;
    // A 1012 close leaves the session lost: finish() lets the registry take the
    // unsent messages for the resume before the queue is dropped.
    finish(kind);
    clear_queue();
    if constexpr (kCoalesces) ws_.next_layer().hold(false);  // the close frame flushes
    ws_.async_close(websocket::close_reason(static_cast<websocket::close_code>(code), reason),
                    [self = this->shared_from_this()](beast::error_code) {
                      // The read loop sees the client's answer (or the timeout).
                    });
  }

  void finish(CloseKind kind) {
    if (finished_) return;
    finished_ = true;
    if (!opened_) return;
    arm_close_deadline();
    spdlog::debug("connection from {} {}", remote_address_,
                  kind == CloseKind::lost ? "lost" : "closed");
    auto handler = std::move(handler_);
    handler->on_closed(kind);
    // After on_closed: the seat goes only once the session has told the room
    // directory it ended. The live socket stays counted until the transport is
    // gone (the close handshake may still run).
    lease_.end_session();
  }

  // Once the session has ended, the socket must not outlive it for long: a
  // close frame waits behind a write that a client which stopped reading never
  // takes (Beast's own close timeout starts only once the frame is out), and
  // after a FIN such a write blocks for ever. Closing the socket at this
  // deadline ends every pending operation and frees the connection. It
  // replaces the heartbeat, which stops at the end of a session; when nothing
  // is pending the transport is gone before it fires (it holds no reference).
  void arm_close_deadline() {
    timer_.expires_after(seconds(limits_.handshake_timeout));
    timer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) close_socket(self->ws_);
    });
  }

  void clear_queue() {
    queue_.clear();
    if (queue_.capacity() > 4) queue_.shrink_to_fit();  // a burst's worth is given back
    queue_head_ = 0;
    queued_bytes_ = 0;
  }

  void heard() { last_heard_ = steady::now(); }

  // When the next ping is due: every ping_interval, and also once halfway
  // through a silence. A client that answers pings is silent between two of
  // them for a whole interval, so with ping_interval >= ping_timeout (the
  // defaults are equal) the silence deadline would otherwise fall just after a
  // ping, before its pong could arrive, and drop a healthy idle client.
  steady::time_point next_ping_time() const {
    const auto regular = last_ping_ + seconds(limits_.ping_interval);
    const auto probe = last_heard_ + seconds(limits_.ping_timeout / 2);
    return last_ping_ < probe ? std::min(regular, probe) : regular;
  }

  // Wakes at the next ping or at the silence deadline, whichever is first.
  void schedule_heartbeat() {
    if (finished_) return;
    const auto next_ping = next_ping_time();
    const auto deadline = last_heard_ + seconds(limits_.ping_timeout);
    timer_.expires_at(std::min(next_ping, deadline));
    timer_.async_wait([weak = this->weak_from_this()](beast::error_code ec) {
      if (ec) return;
      if (auto self = weak.lock()) self->on_heartbeat();
    });
  }

  void on_heartbeat() {
    if (finished_) return;
    const auto now = steady::now();
    if (now >= last_heard_ + seconds(limits_.ping_timeout)) {
      spdlog::debug("connection from {}: ping timeout", remote_address_);
      drop();
      return;
    }
    if (now >= next_ping_time() && !ping_in_flight_) {
      ping_in_flight_ = true;
      last_ping_ = now;
      ws_.async_ping({}, [self = this->shared_from_this()](beast::error_code) {
        self->ping_in_flight_ = false;
      });
    }
    schedule_heartbeat();
  }

  websocket::stream<Stream> ws_;
  ConnectionLease lease_;  // given back as a whole when the transport is destroyed
  std::shared_ptr<WsHandler> handler_;
  WsLimits limits_;
  NetContext& context_;
  std::string remote_address_;
  net::steady_timer timer_;
  IdleReadBuffer buffer_;
  // The send queue: a vector consumed from queue_head_ (a std::deque would cost
  // ~600 bytes per idle session even when empty).
  std::vector<Item> queue_;
  std::size_t queue_head_ = 0;
  std::size_t queued_bytes_ = 0;
  SharedText in_flight_;
  bool in_flight_relay_ = false;
  bool corked_ = false;
  bool write_held_ = false;       // in_flight_ waits in the stream for a later write
  std::vector<SharedText> held_;  // relayed messages written held, not yet flushed
  bool writing_ = false;
  bool write_failed_ = false;
  bool opened_ = false;
  bool finished_ = false;
  bool ping_in_flight_ = false;
  steady::time_point last_heard_{};
  steady::time_point last_ping_{};
};

template <class Stream>
void start(Stream&& stream, HttpRequest&& request, ConnectionLimiter::Slot slot,
           std::shared_ptr<WsHandler> handler, const WsLimits& limits, NetContext& context,
           std::string remote_address) {
  auto transport = std::make_shared<BeastWsTransport<Stream>>(std::move(stream), std::move(slot),
                                                              std::move(handler), limits, context,
                                                              std::move(remote_address));
  transport->start(std::move(request));
}

}  // namespace

void start_websocket(TcpStream&& stream, HttpRequest&& request, ConnectionLimiter::Slot slot,
                     std::shared_ptr<WsHandler> handler, const WsLimits& limits,
                     NetContext& context, std::string remote_address) {
  // A plain session runs on the bare socket (under the coalescing layer):
  // tcp_stream's timers and state (~0.5 KiB per idle session with its part of
  // every pending read) serve only the HTTP request's deadline, and the
  // websocket stream keeps its own.
  start(CoalescingStream(stream.release_socket()), std::move(request), std::move(slot),
        std::move(handler), limits, context, std::move(remote_address));
}

void start_websocket(TlsStream&& stream, HttpRequest&& request, ConnectionLimiter::Slot slot,
                     std::shared_ptr<WsHandler> handler, const WsLimits& limits,
                     NetContext& context, std::string remote_address) {
  // As above, on the bare socket: the TLS state moves over to it, and the
  // websocket stream runs its own handshake and close timeouts.
  auto socket = stream.next_layer().release_socket();
  start(LeanTlsStream<net::ip::tcp::socket>(std::move(stream.engine()), std::move(socket)),
        std::move(request), std::move(slot), std::move(handler), limits, context,
        std::move(remote_address));
}

}  // namespace parley
