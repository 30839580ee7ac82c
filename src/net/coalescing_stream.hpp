// The layer between a plain ws:// session's websocket stream and its TCP
// socket that lets several queued messages leave in one send.
//
// Beast writes one message per async_write and the next only after the last
// completed, so each message costs a system call of its own. When the session
// has more messages queued it calls hold(true) before a write: the write's
// bytes are copied into a pending buffer and the write completes at once, so
// the next message follows; the first write made without hold (the last of
// the queue, or any frame Beast writes itself) sends everything pending in one
// send and completes when that is done. Without hold, and with nothing pending,
// a write goes straight to the socket (no copy): a session that has one message
// at a time pays nothing for this.
//
// Beast never has two writes in flight on one stream, so neither does this.
// The pending bytes are bounded (kMaxPendingBytes: beyond it a held write is
// sent as if not held) and freed once sent.
#pragma once

#include <cassert>
#include <cstddef>
#include <utility>
#include <vector>

#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/websocket/teardown.hpp>

namespace parley {

class CoalescingStream {
 public:
  using next_layer_type = boost::asio::ip::tcp::socket;
  using executor_type = next_layer_type::executor_type;

  static constexpr std::size_t kMaxPendingBytes = 64 * 1024;

  explicit CoalescingStream(next_layer_type&& socket) : socket_(std::move(socket)) {}

  next_layer_type& next_layer() noexcept { return socket_; }
  const next_layer_type& next_layer() const noexcept { return socket_; }
  executor_type get_executor() noexcept { return socket_.get_executor(); }

  // Whether the next writes may wait for a later one (see above).
  void hold(bool on) noexcept { hold_ = on; }
  bool holding_bytes() const noexcept { return !pending_.empty(); }

  template <class MutableBuffers, class Handler>
  void async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    socket_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  template <class ConstBuffers, class Handler>
  void async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    assert(!sending_ && "Beast writes one message at a time");
    const std::size_t size = boost::asio::buffer_size(buffers);
    if (hold_ && pending_.size() + size <= kMaxPendingBytes) {
      append(buffers, size);
      complete(std::forward<Handler>(handler), {}, size);
      return;
    }
    if (pending_.empty()) {
      boost::asio::async_write(socket_, buffers, std::forward<Handler>(handler));
      return;
    }
    append(buffers, size);
    sending_ = true;
    boost::asio::async_write(
        socket_, boost::asio::buffer(pending_),
        [this, size, handler = std::forward<Handler>(handler)](boost::beast::error_code ec,
                                                               std::size_t) mutable {
          sending_ = false;
          std::vector<char>().swap(pending_);  // an idle session keeps no buffer
          std::move(handler)(ec, ec ? 0 : size);
        });
  }

 private:
  template <class ConstBuffers>
  void append(const ConstBuffers& buffers, std::size_t size) {
    const std::size_t at = pending_.size();
    pending_.resize(at + size);
    boost::asio::buffer_copy(boost::asio::buffer(pending_.data() + at, size), buffers);
  }

  template <class Handler>
  void complete(Handler&& handler, boost::beast::error_code ec, std::size_t size) {
    boost::asio::post(socket_.get_executor(),
                      boost::beast::bind_front_handler(std::forward<Handler>(handler), ec, size));
  }

  next_layer_type socket_;
  std::vector<char> pending_;
  bool hold_ = false;
  bool sending_ = false;
};

// Beast's websocket close ends with a teardown of the next layer. The session
// stops holding before it closes, so the close frame has flushed whatever was
// pending by then: the socket's own teardown is all that is left.
template <class TeardownHandler>
void async_teardown(boost::beast::role_type role, CoalescingStream& stream,
                    TeardownHandler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<TeardownHandler>(handler));
}

inline void teardown(boost::beast::role_type role, CoalescingStream& stream,
                     boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

}  // namespace parley
