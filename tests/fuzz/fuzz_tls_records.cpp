// Fuzz target: the bytes a client sends to parley's TLS engine (the record
// reader that sizes every socket read from the record headers, parley's BIO,
// OpenSSL behind them), with the production TLS settings. The first input
// byte sets how the rest is cut into socket reads (1 to 256 bytes each); the
// rest is what the client sent. Whatever the bytes: no crash or sanitizer
// report, every read the reader asks for has room for at least one byte and
// at most one record (5 + 65,535 bytes), and the engine holds no buffer once
// the connection has failed or all input has been taken.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <string>

#include "net/tls_engine.hpp"
#include "net/tls_context.hpp"

namespace {

// A throwaway self-signed EC certificate, written where make_tls_context can
// load it, so the engine runs with exactly the daemon's settings.
std::shared_ptr<boost::asio::ssl::context> make_context() {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  if (!key || !cert) std::abort();
  ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert), 0);
  X509_gmtime_adj(X509_getm_notAfter(cert), 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert, name);
  if (X509_sign(cert, key, EVP_sha256()) <= 0) std::abort();
  const auto dir =
      std::filesystem::temp_directory_path() / ("parley-fuzz-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string cert_file = (dir / "cert.pem").string();
  const std::string key_file = (dir / "key.pem").string();
  FILE* f = std::fopen(cert_file.c_str(), "w");
  PEM_write_X509(f, cert);
  std::fclose(f);
  f = std::fopen(key_file.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(cert);
  EVP_PKEY_free(key);
  auto context = parley::make_tls_context(cert_file, key_file);
  std::filesystem::remove_all(dir);
  return context;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const auto context = make_context();
  if (size == 0) return 0;
  const std::size_t chunk = std::size_t{data[0]} + 1;
  std::size_t at = 1;

  parley::TlsEngine engine(context->native_handle());
  bool handshaken = false;
  unsigned char plaintext[4096];
  for (int steps = 0; steps < 100000; ++steps) {
    const auto r = handshaken ? engine.read(plaintext, sizeof plaintext) : engine.handshake();
    if (engine.has_output()) {
      (void)engine.take_output();
      engine.output_sent();
    }
    if (r.status == parley::TlsEngine::Status::failed) break;
    if (r.status == parley::TlsEngine::Status::done) {
      handshaken = true;
      continue;
    }
    if (at == size) break;  // the client has nothing more to say
    const auto space = engine.input_space();
    if (space.size() == 0 || space.size() > 65535) std::abort();
    const std::size_t n = std::min({space.size(), chunk, size - at});
    std::memcpy(space.data(), data + at, n);
    engine.input_arrived(n);
    at += n;
  }
  // Whatever is left is at most the one record being read.
  if (engine.held_buffer_bytes() > 65535) std::abort();
  return 0;
}
