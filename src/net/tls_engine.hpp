// The TLS state of one server-side connection: an OpenSSL SSL object whose
// I/O goes through a BIO of parley's own, so that parley decides which buffers
// exist and for how long (tls_stream.hpp does the socket I/O).
//
// OpenSSL reads ciphertext from a TlsRecordReader (one record at a time, no
// buffer between records) and writes ciphertext into an output buffer that
// exists only until it has been sent. With SSL_MODE_RELEASE_BUFFERS (set here)
// OpenSSL frees its own record buffers between records as well, so an idle
// connection holds the SSL object and its keys, and no buffer.
#pragma once

#include <cstddef>
#include <vector>

#include <openssl/ssl.h>
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "net/tls_record_reader.hpp"

namespace parley {

class TlsEngine {
 public:
  // What an OpenSSL call came to.
  enum class Status {
    done,        // finished; `bytes` says how many plaintext bytes moved
    want_input,  // needs more bytes from the peer (see input_space())
    failed,      // `error` says why (net::error::eof after the peer's close_notify)
  };
  struct Result {
    Status status;
    std::size_t bytes = 0;
    boost::system::error_code error{};
  };

  // A server-side engine on `context` (which it keeps a reference of).
  // Throws std::runtime_error when OpenSSL cannot allocate one.
  explicit TlsEngine(SSL_CTX* context);
  TlsEngine(TlsEngine&& other) noexcept;
  TlsEngine& operator=(TlsEngine&&) = delete;
  TlsEngine(const TlsEngine&) = delete;
  TlsEngine& operator=(const TlsEngine&) = delete;
  ~TlsEngine();

  SSL* native_handle() noexcept { return ssl_; }

  Result handshake();
  Result read(void* data, std::size_t size);
  Result write(const void* data, std::size_t size);
  Result shutdown();

  // Input: where the next bytes from the peer go, and how many arrived there.
  boost::asio::mutable_buffer input_space() { return input_.space(); }
  void input_arrived(std::size_t n);
  // The peer closed the TCP connection: the error a caller reports (eof after
  // the peer's close_notify, stream_truncated otherwise), as Asio's SSL stream.
  boost::system::error_code end_of_input_error() const;

  // Output: ciphertext OpenSSL produced. take_output() moves it into the
  // buffer being sent (returned), output_sent() frees that buffer.
  bool has_output() const noexcept { return !output_.empty(); }
  boost::asio::const_buffer take_output();
  void output_sent();

  // Bytes of buffers this engine holds (not OpenSSL's own): 0 while idle.
  std::size_t held_buffer_bytes() const noexcept {
    return input_.held_bytes() + output_.capacity() + sending_.capacity();
  }

 private:
  static int bio_write(BIO* bio, const char* data, int size);
  static int bio_read(BIO* bio, char* data, int size);
  static long bio_ctrl(BIO* bio, int command, long number, void* pointer);
  static BIO_METHOD* bio_method();

  Result outcome(int ret, std::size_t bytes);

  SSL* ssl_ = nullptr;
  TlsRecordReader input_;
  std::vector<unsigned char> output_;
  std::vector<unsigned char> sending_;
};

}  // namespace parley
