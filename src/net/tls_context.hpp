// The TLS settings of the public listener: TLS 1.2 or later, forward-secret
// AEAD ciphers only, the configured certificate chain and key.
#pragma once

#include <memory>
#include <string>

#include <boost/asio/ssl/context.hpp>

namespace parley {

// Throws std::runtime_error naming the file when the certificate or key cannot
// be loaded or do not match.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const std::string& cert_file,
                                                            const std::string& key_file);

}  // namespace parley
