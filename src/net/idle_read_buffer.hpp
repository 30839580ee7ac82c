// The read buffer of a WebSocket session: a DynamicBuffer (Beast's v1 concept)
// that holds no heap memory while the session waits for its next message.
//
// An idle session waits in a read for the first byte of its next message; with
// a plain flat_buffer that read would hold Beast's usual 1.5 KiB guess for
// every idle session. The transport asks this buffer for one byte while it is
// empty, and the buffer lends a byte of its own, so the pending read of an idle
// session costs nothing; once the first payload byte is in, the transport asks
// for what Beast says the frame still holds (the message size limit is Beast's
// read_message_max, not this buffer's). max_size() says the same to a reader
// that sizes its reads from the buffer.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/flat_buffer.hpp>

namespace parley {

class IdleReadBuffer {
 public:
  using const_buffers_type = boost::asio::const_buffer;
  using mutable_buffers_type = boost::asio::mutable_buffer;

  std::size_t size() const noexcept { return first_size_ + heap_.size(); }
  std::size_t max_size() const noexcept {
    return size() == 0 ? 1 : std::numeric_limits<std::size_t>::max();
  }
  std::size_t capacity() const noexcept { return std::max<std::size_t>(1, heap_.capacity()); }

  const_buffers_type data() const noexcept {
    if (first_size_) return {&first_, 1};
    return heap_.data();
  }
  const_buffers_type cdata() const noexcept { return data(); }

  mutable_buffers_type prepare(std::size_t n) {
    if (size() == 0 && n <= 1) {
      lent_ = true;
      return {&first_, n};
    }
    lent_ = false;
    if (first_size_) {
      // The message goes on: move its first byte to the heap buffer, in front
      // of the room asked for, so the text stays contiguous.
      auto room = heap_.prepare(1 + n);
      std::memcpy(room.data(), &first_, 1);
      heap_.commit(1);
      first_size_ = 0;
    }
    return heap_.prepare(n);
  }

  void commit(std::size_t n) {
    if (lent_) {
      first_size_ = static_cast<std::uint8_t>(std::min<std::size_t>(n, 1));
      lent_ = false;
      return;
    }
    heap_.commit(n);
  }

  void consume(std::size_t n) {
    if (first_size_ && n) {
      first_size_ = 0;
      --n;
    }
    heap_.consume(n);
  }

  // Empties the buffer and gives its heap memory back (between messages).
  void release() {
    first_size_ = 0;
    lent_ = false;
    heap_.consume(heap_.size());
    heap_.shrink_to_fit();
  }

 private:
  boost::beast::flat_buffer heap_;
  char first_ = 0;
  std::uint8_t first_size_ = 0;
  bool lent_ = false;
};

}  // namespace parley
