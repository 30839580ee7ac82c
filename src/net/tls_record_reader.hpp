// The bytes a TLS peer sent that OpenSSL has not taken yet, held one record at
// a time so that an idle connection holds no buffer at all.
//
// A TLS record is a 5-byte header (type, version, 16-bit length) and a body of
// that length. The reader asks for the header first, into a 5-byte array of its
// own, and allocates the body's exact size only once the header says how long
// it is; the body is freed as soon as OpenSSL has taken all of it. Reads from
// the socket never go past the end of the current record, so nothing of the
// next record is read (and held) before it is wanted.
//
// The reader trusts nothing: the header is only used to size the next read
// (at most 65,535 bytes, the largest length a header can state). Bytes are
// handed to OpenSSL in order whatever they are; OpenSSL validates the header
// as soon as it has taken it (before the body is read), so garbage such as a
// plain HTTP request on the TLS port fails at once.
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <memory>

#include <boost/asio/buffer.hpp>

namespace parley {

class TlsRecordReader {
 public:
  static constexpr std::size_t kHeaderBytes = 5;

  // Where the next bytes read from the peer go: never empty, never past the
  // end of the current record. Allocates the body when the body is next.
  boost::asio::mutable_buffer space() {
    if (header_filled_ < kHeaderBytes)
      return boost::asio::buffer(header_ + header_filled_, kHeaderBytes - header_filled_);
    if (!body_) body_ = std::make_unique_for_overwrite<unsigned char[]>(body_size_);
    return boost::asio::buffer(body_.get() + body_filled_, body_size_ - body_filled_);
  }

  // `n` bytes arrived in the buffer space() returned last.
  void filled(std::size_t n) {
    if (header_filled_ < kHeaderBytes) {
      assert(n <= kHeaderBytes - header_filled_);
      header_filled_ += n;
      if (header_filled_ == kHeaderBytes) body_size_ = (std::size_t{header_[3]} << 8) | header_[4];
    } else {
      assert(n <= body_size_ - body_filled_);
      body_filled_ += n;
    }
    finish_record_if_done();
  }

  // Copies up to `size` waiting bytes to `out`, in the order they arrived;
  // returns how many (0 when none are waiting).
  std::size_t take(void* out, std::size_t size) {
    auto* to = static_cast<unsigned char*>(out);
    std::size_t copied = 0;
    if (header_served_ < header_filled_) {
      const std::size_t n = std::min(size, header_filled_ - header_served_);
      std::memcpy(to, header_ + header_served_, n);
      header_served_ += n;
      copied += n;
    }
    if (copied < size && header_served_ == kHeaderBytes && body_served_ < body_filled_) {
      const std::size_t n = std::min(size - copied, body_filled_ - body_served_);
      std::memcpy(to + copied, body_.get() + body_served_, n);
      body_served_ += n;
      copied += n;
    }
    finish_record_if_done();
    return copied;
  }

  std::size_t waiting() const {
    return (header_filled_ - header_served_) + (body_filled_ - body_served_);
  }

  // Heap bytes held: 0 between records, and while only a header is in.
  std::size_t held_bytes() const { return body_ ? body_size_ : 0; }

 private:
  // Once the whole record has been read and taken, the next one starts afresh.
  void finish_record_if_done() {
    if (header_served_ == kHeaderBytes && body_served_ == body_size_) {
      header_filled_ = header_served_ = 0;
      body_size_ = body_filled_ = body_served_ = 0;
      body_.reset();
    }
  }

  unsigned char header_[kHeaderBytes] = {};
  std::size_t header_filled_ = 0;
  std::size_t header_served_ = 0;
  std::unique_ptr<unsigned char[]> body_;
  std::size_t body_size_ = 0;
  std::size_t body_filled_ = 0;
  std::size_t body_served_ = 0;
};

}  // namespace parley
