#include "net/tls_engine.hpp"

#include <climits>
#include <stdexcept>
#include <utility>

#include <openssl/err.h>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

namespace parley {

namespace {

TlsEngine* engine_of(BIO* bio) {
  return static_cast<TlsEngine*>(BIO_get_data(bio));
}

}  // namespace

TlsEngine::TlsEngine(SSL_CTX* context) : ssl_(SSL_new(context)) {
  if (!ssl_) throw std::runtime_error("TLS: cannot create a connection (out of memory)");
  BIO* bio = BIO_new(bio_method());
  if (!bio) {
    SSL_free(ssl_);
    throw std::runtime_error("TLS: cannot create a connection (out of memory)");
  }
  BIO_set_data(bio, this);
  BIO_set_init(bio, 1);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: SSL owns its one reference
  // Also set on the context (tls_context.cpp); set here too so that no engine
  // ever keeps OpenSSL's record buffers while idle, whatever its context.
  SSL_set_mode(ssl_, SSL_MODE_RELEASE_BUFFERS);
  SSL_set_accept_state(ssl_);
}

TlsEngine::TlsEngine(TlsEngine&& other) noexcept
    : ssl_(std::exchange(other.ssl_, nullptr)),
      input_(std::move(other.input_)),
      output_(std::move(other.output_)),
      sending_(std::move(other.sending_)) {
  if (ssl_) BIO_set_data(SSL_get_rbio(ssl_), this);
}

TlsEngine::~TlsEngine() {
  if (ssl_) SSL_free(ssl_);
}

TlsEngine::Result TlsEngine::handshake() {
  ERR_clear_error();
  return outcome(SSL_do_handshake(ssl_), 0);
}

TlsEngine::Result TlsEngine::read(void* data, std::size_t size) {
  ERR_clear_error();
  std::size_t bytes = 0;
  const int ret = SSL_read_ex(ssl_, data, size, &bytes);
  return outcome(ret, bytes);
}

TlsEngine::Result TlsEngine::write(const void* data, std::size_t size) {
  ERR_clear_error();
  std::size_t bytes = 0;
  const int ret = SSL_write_ex(ssl_, data, size, &bytes);
  return outcome(ret, bytes);
}

TlsEngine::Result TlsEngine::shutdown() {
  ERR_clear_error();
  const int ret = SSL_shutdown(ssl_);
  // 0: our close_notify is out, the peer's has not come yet.
  if (ret == 0) return {Status::want_input};
  return outcome(ret, 0);
}

TlsEngine::Result TlsEngine::outcome(int ret, std::size_t bytes) {
  if (ret > 0) return {Status::done, bytes};
  const int error = SSL_get_error(ssl_, ret);
  switch (error) {
    case SSL_ERROR_WANT_READ:
      return {Status::want_input};
    case SSL_ERROR_ZERO_RETURN:
      return {Status::failed, 0, boost::asio::error::eof};
    case SSL_ERROR_SSL: {
      const unsigned long code = ERR_get_error();
      ERR_clear_error();
      return {Status::failed, 0,
              boost::system::error_code(static_cast<int>(code),
                                        boost::asio::error::get_ssl_category())};
    }
    default:
      // The BIO never blocks on writes and reports no system errors, so
      // nothing else is expected; it still ends the connection, not the server.
      ERR_clear_error();
      return {Status::failed, 0, boost::asio::ssl::error::unexpected_result};
  }
}

void TlsEngine::input_arrived(std::size_t n) {
  // A socket read brings at least one byte unless it failed (an error, the
  // peer's FIN, a timeout): then the connection is over, and the part of a
  // record read so far is dropped so that it holds no buffer while it winds
  // down.
  if (n == 0) {
    input_ = TlsRecordReader();
    return;
  }
  input_.filled(n);
}

boost::system::error_code TlsEngine::end_of_input_error() const {
  if (input_.waiting() == 0 && (SSL_get_shutdown(ssl_) & SSL_RECEIVED_SHUTDOWN))
    return boost::asio::error::eof;
  return boost::asio::ssl::error::stream_truncated;
}

boost::asio::const_buffer TlsEngine::take_output() {
  sending_.swap(output_);
  output_.clear();
  return boost::asio::buffer(sending_);
}

void TlsEngine::output_sent() {
  std::vector<unsigned char>().swap(sending_);
}

int TlsEngine::bio_write(BIO* bio, const char* data, int size) {
  if (size <= 0) return 0;
  auto& out = engine_of(bio)->output_;
  out.insert(out.end(), data, data + size);
  return size;
}

int TlsEngine::bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  if (size <= 0) return 0;
  const std::size_t n = engine_of(bio)->input_.take(data, static_cast<std::size_t>(size));
  if (n == 0) {
    BIO_set_retry_read(bio);  // no bytes yet: the stream reads the socket
    return -1;
  }
  return static_cast<int>(n);
}

long TlsEngine::bio_ctrl(BIO* bio, int command, long, void*) {
  switch (command) {
    case BIO_CTRL_FLUSH:
      return 1;  // output is sent by the stream as soon as the call returns
    case BIO_CTRL_PENDING:
      return static_cast<long>(engine_of(bio)->input_.waiting());
    case BIO_CTRL_WPENDING:
      return static_cast<long>(engine_of(bio)->output_.size());
    default:
      return 0;
  }
}

BIO_METHOD* TlsEngine::bio_method() {
  // Created once and kept for the life of the process (BIO_METHODs are
  // immutable once set up, and shared by every connection).
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "parley TLS");
    if (!m) throw std::runtime_error("TLS: cannot create the BIO method");
    BIO_meth_set_write(m, &TlsEngine::bio_write);
    BIO_meth_set_read(m, &TlsEngine::bio_read);
    BIO_meth_set_ctrl(m, &TlsEngine::bio_ctrl);
    return m;
  }();
  return method;
}

}  // namespace parley
