// A server-side TLS stream that holds buffers only while bytes are in flight.
//
// asio::ssl::stream keeps four fixed buffers of about 17 KiB (its own input
// and output buffers and an OpenSSL BIO pair) for the whole life of a
// connection: ~68 KiB per idle wss:// session. This stream drives the same
// OpenSSL (TlsEngine: the SSL object, parley's BIO, one record at a time) and
// does the socket I/O itself:
//   - a read waits for the next record's 5-byte header in the engine's own
//     array, and allocates the body only once the header has arrived;
//   - a write encrypts into a buffer that is freed once sent;
// so an idle connection (a read pending, nothing to send) holds no buffer.
//
// It is an Asio AsyncStream for Beast's HTTP and WebSocket code: at most one
// read and one write at a time (Beast never has more), plus the handshake and
// the shutdown, each alone. All of them run on the stream's executor (the
// connection's strand). Timeouts are the next layer's: over a
// beast::tcp_stream its deadline covers every socket operation made here.
//
// Output that a read produces (an alert, a key update) is sent by that read,
// or, if a write is sending at that moment, by that write; a write that finds
// a read sending waits for it, so output is never reordered or interleaved.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/coroutine.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/assert.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>

#include "net/tls_engine.hpp"

namespace parley {

template <class NextLayer>
class LeanTlsStream {
 public:
  using next_layer_type = NextLayer;
  using executor_type = typename NextLayer::executor_type;

  // Plaintext encrypted per write at most: one TLS record (a write of more
  // completes with this much, and Beast writes the rest next).
  static constexpr std::size_t kMaxWriteBytes = 16 * 1024;

  LeanTlsStream(NextLayer&& next, boost::asio::ssl::context& context)
      : next_(std::move(next)), engine_(context.native_handle()) {}

  // Moves a connection's TLS state onto another next layer (from the HTTP
  // session's tcp_stream to the WebSocket session's bare socket). No operation
  // may be pending on either.
  LeanTlsStream(TlsEngine&& engine, NextLayer&& next)
      : next_(std::move(next)), engine_(std::move(engine)) {}

  LeanTlsStream(LeanTlsStream&&) = default;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  next_layer_type& next_layer() noexcept { return next_; }
  const next_layer_type& next_layer() const noexcept { return next_; }
  TlsEngine& engine() noexcept { return engine_; }
  SSL* native_handle() noexcept { return engine_.native_handle(); }

  // Bytes of buffers the stream holds (OpenSSL's own are released by
  // SSL_MODE_RELEASE_BUFFERS): 0 while the connection is idle.
  std::size_t held_buffer_bytes() const noexcept { return engine_.held_buffer_bytes(); }

  // The server side of the handshake.
  template <class Token>
  auto async_handshake(Token&& token) {
    return boost::asio::async_compose<Token, void(boost::beast::error_code)>(HandshakeOp{{}, *this},
                                                                             token, next_);
  }

  template <class MutableBuffers, class Token>
  auto async_read_some(const MutableBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::beast::error_code, std::size_t)>(
        ReadOp{{},
               *this,
               first_buffer(boost::asio::buffer_sequence_begin(buffers),
                            boost::asio::buffer_sequence_end(buffers))},
        token, next_);
  }

  template <class ConstBuffers, class Token>
  auto async_write_some(const ConstBuffers& buffers, Token&& token) {
    return boost::asio::async_compose<Token, void(boost::beast::error_code, std::size_t)>(
        WriteOp<ConstBuffers>{{}, *this, buffers}, token, next_);
  }

  // Sends close_notify, then waits for the peer's (Asio's semantics: eof
  // from the peer without it completes with stream_truncated).
  template <class Token>
  auto async_shutdown(Token&& token) {
    return boost::asio::async_compose<Token, void(boost::beast::error_code)>(ShutdownOp{{}, *this},
                                                                             token, next_);
  }

 private:
  using error_code = boost::beast::error_code;

  template <class Iterator>
  static auto first_buffer(Iterator begin, Iterator end) {
    for (; begin != end; ++begin)
      if (boost::asio::buffer_size(*begin) != 0) return boost::asio::mutable_buffer(*begin);
    return boost::asio::mutable_buffer();
  }

  // Sends every byte of output there is (also what is produced meanwhile).
  // If another operation is sending: with `wait` the flush waits for it to
  // finish and goes on; without, it returns at once (that sender sends ours).
  struct FlushOp : boost::asio::coroutine {
    LeanTlsStream& s;
    bool wait;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t = 0) {
      BOOST_ASIO_CORO_REENTER(*this) {
        while (s.engine_.has_output() || (wait && s.sending_)) {
          if (s.sending_) {
            if (!wait) break;
            BOOST_ASIO_CORO_YIELD s.wait_for_sender(std::move(self));
            continue;
          }
          s.sending_ = true;
          ++s.async_ops_;
          BOOST_ASIO_CORO_YIELD boost::asio::async_write(s.next_, s.engine_.take_output(),
                                                         std::move(self));
          s.engine_.output_sent();
          s.sending_ = false;
          s.wake_waiter();
          if (ec) return self.complete(ec);
        }
        self.complete(error_code{});
      }
    }
  };

  template <class Token>
  auto async_flush(bool wait, Token&& token) {
    return boost::asio::async_compose<Token, void(error_code)>(FlushOp{{}, *this, wait}, token,
                                                               next_);
  }

  // Reads the next bytes of the peer's current record into the engine.
  struct FillOp {
    LeanTlsStream& s;
    bool started = false;
    template <class Self>
    void operator()(Self& self, error_code ec = {}, std::size_t n = 0) {
      if (!started) {
        started = true;
        ++s.async_ops_;
        return s.next_.async_read_some(s.engine_.input_space(), std::move(self));
      }
      s.engine_.input_arrived(n);
      if (ec == boost::asio::error::eof) ec = s.engine_.end_of_input_error();
      self.complete(ec);
    }
  };

  template <class Token>
  auto async_fill(Token&& token) {
    return boost::asio::async_compose<Token, void(error_code)>(FillOp{*this}, token, next_);
  }

  template <class Self>
  void wait_for_sender(Self&& self) {
    // Beast has one read and one write at a time, and only a write waits.
    BOOST_ASSERT(!waiter_);
    ++async_ops_;
    waiter_ = boost::asio::any_completion_handler<void()>(std::forward<Self>(self));
  }

  void wake_waiter() {
    if (!waiter_) return;
    boost::asio::post(next_.get_executor(), std::move(waiter_));
    waiter_ = nullptr;
  }

  // The handshake and the shutdown: one engine call until it is done, its
  // output sent after each call (also after a failure: the alert tells the
  // peer why), more input read whenever it wants some.
  template <TlsEngine::Result (TlsEngine::*Step)()>
  struct StepOp : boost::asio::coroutine {
    LeanTlsStream& s;
    std::uint64_t started_at = 0;
    TlsEngine::Result r{TlsEngine::Status::done};
    error_code result{};
    template <class Self>
    void operator()(Self& self, error_code ec = {}) {
      BOOST_ASIO_CORO_REENTER(*this) {
        started_at = s.async_ops_;
        for (;;) {
          r = (s.engine_.*Step)();
          BOOST_ASIO_CORO_YIELD s.async_flush(true, std::move(self));
          if (r.status == TlsEngine::Status::failed) {
            result = r.error;
            break;
          }
          if (ec || r.status == TlsEngine::Status::done) {
            result = ec;
            break;
          }
          BOOST_ASIO_CORO_YIELD s.async_fill(std::move(self));
          if (ec) {
            result = ec;
            break;
          }
        }
        if (s.async_ops_ == started_at) {
          BOOST_ASIO_CORO_YIELD boost::asio::post(s.next_.get_executor(), std::move(self));
        }
        self.complete(result);
      }
    }
  };
  using HandshakeOp = StepOp<&TlsEngine::handshake>;
  using ShutdownOp = StepOp<&TlsEngine::shutdown>;

  struct ReadOp : boost::asio::coroutine {
    LeanTlsStream& s;
    boost::asio::mutable_buffer buffer;
    std::uint64_t started_at = 0;
    TlsEngine::Result r{TlsEngine::Status::done};
    error_code result{};
    std::size_t bytes = 0;
    template <class Self>
    void operator()(Self& self, error_code ec = {}) {
      BOOST_ASIO_CORO_REENTER(*this) {
        started_at = s.async_ops_;
        while (buffer.size() != 0) {
          r = s.engine_.read(buffer.data(), buffer.size());
          if (s.engine_.has_output()) {
            BOOST_ASIO_CORO_YIELD s.async_flush(false, std::move(self));
            if (ec && r.status != TlsEngine::Status::failed) {
              result = ec;
              break;
            }
          }
          if (r.status == TlsEngine::Status::done) {
            bytes = r.bytes;
            break;
          }
          if (r.status == TlsEngine::Status::failed) {
            result = r.error;
            break;
          }
          BOOST_ASIO_CORO_YIELD s.async_fill(std::move(self));
          if (ec) {
            result = ec;
            break;
          }
        }
        // Plaintext OpenSSL already had completes the read without any I/O:
        // the handler still runs after the initiating call has returned.
        if (s.async_ops_ == started_at) {
          BOOST_ASIO_CORO_YIELD boost::asio::post(s.next_.get_executor(), std::move(self));
        }
        self.complete(result, bytes);
      }
    }
  };

  template <class ConstBuffers>
  struct WriteOp : boost::asio::coroutine {
    LeanTlsStream& s;
    ConstBuffers buffers;
    std::uint64_t started_at = 0;
    TlsEngine::Result r{TlsEngine::Status::done};
    error_code result{};
    template <class Self>
    void operator()(Self& self, error_code ec = {}) {
      BOOST_ASIO_CORO_REENTER(*this) {
        started_at = s.async_ops_;
        // A read may be sending output of its own: ours goes after it.
        BOOST_ASIO_CORO_YIELD s.async_flush(true, std::move(self));
        result = ec;
        if (!result) {
          r = encrypt();
          // Only a renegotiation could want input to write, and none is allowed.
          if (r.status == TlsEngine::Status::want_input)
            r = {TlsEngine::Status::failed, 0, boost::asio::ssl::error::unexpected_result};
          BOOST_ASIO_CORO_YIELD s.async_flush(true, std::move(self));
          result = r.status == TlsEngine::Status::failed ? r.error : ec;
        }
        if (s.async_ops_ == started_at) {
          BOOST_ASIO_CORO_YIELD boost::asio::post(s.next_.get_executor(), std::move(self));
        }
        self.complete(result, result ? 0 : r.bytes);
      }
    }

    // One record from the front of the buffers: the first buffer as it is
    // when it is all there is (or big enough), else a copy of the pieces
    // (Beast writes a frame header and its payload as two buffers).
    TlsEngine::Result encrypt() {
      const std::size_t total = std::min(boost::asio::buffer_size(buffers), kMaxWriteBytes);
      if (total == 0) return {TlsEngine::Status::done, 0};
      auto it = boost::asio::buffer_sequence_begin(buffers);
      while (boost::asio::buffer_size(*it) == 0) ++it;
      const boost::asio::const_buffer first(*it);
      if (first.size() >= total) return s.engine_.write(first.data(), total);
      unsigned char joined[kMaxWriteBytes];
      const std::size_t n = boost::asio::buffer_copy(boost::asio::buffer(joined, total), buffers);
      return s.engine_.write(joined, n);
    }
  };

  NextLayer next_;
  TlsEngine engine_;
  bool sending_ = false;  // a FlushOp is writing to the next layer
  // Counts the socket operations and waits started: an operation that started
  // none completes through a post (never inside its initiating call).
  std::uint64_t async_ops_ = 0;
  boost::asio::any_completion_handler<void()> waiter_;  // a write waiting for it
};

namespace detail {

template <class NextLayer>
struct TlsTeardownOp : boost::asio::coroutine {
  LeanTlsStream<NextLayer>& s;
  boost::beast::role_type role;
  boost::beast::error_code first{};
  template <class Self>
  void operator()(Self& self, boost::beast::error_code ec = {}) {
    BOOST_ASIO_CORO_REENTER(*this) {
      BOOST_ASIO_CORO_YIELD s.async_shutdown(std::move(self));
      first = ec;
      BOOST_ASIO_CORO_YIELD {
        using boost::beast::websocket::async_teardown;
        async_teardown(role, s.next_layer(), std::move(self));
      }
      self.complete(first ? first : ec);
    }
  }
};

}  // namespace detail

// Beast's WebSocket close ends with a teardown: close_notify, then the next
// layer's own teardown (as Beast does for asio::ssl::stream).
template <class NextLayer, class TeardownHandler>
void async_teardown(boost::beast::role_type role, LeanTlsStream<NextLayer>& stream,
                    TeardownHandler&& handler) {
  boost::asio::async_compose<TeardownHandler, void(boost::beast::error_code)>(
      detail::TlsTeardownOp<NextLayer>{{}, stream, role}, handler, stream.next_layer());
}

// The synchronous close (unused by parley) tears the next layer down without
// a close_notify.
template <class NextLayer>
void teardown(boost::beast::role_type role, LeanTlsStream<NextLayer>& stream,
              boost::beast::error_code& ec) {
  using boost::beast::websocket::teardown;
  teardown(role, stream.next_layer(), ec);
}

}  // namespace parley
