#include "webhooks/webhook_signature.hpp"

#include "base/hmac.hpp"

namespace parley {

std::optional<std::string> webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                                             std::string_view body) {
  const std::string t = std::to_string(unix_seconds);
  std::string signed_text;
  signed_text.reserve(t.size() + 1 + body.size());
  signed_text.append(t).append(".").append(body);
  const auto mac = hmac(HmacDigest::sha256, secret, signed_text);
  // HMAC over memory only fails when OpenSSL itself is broken (out of memory):
  // the caller counts it as a failed attempt, never an exception.
  if (!mac) return std::nullopt;
  return "t=" + t + ",v1=" + hex_encode(*mac);
}

}  // namespace parley
