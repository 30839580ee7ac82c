// The Parley-Signature header: t=<unix seconds>,v1=<hex HMAC-SHA256(secret,
// "<t>.<body>")>. The timestamp is signed with the body so that a receiver can
// refuse old deliveries replayed by someone who captured one.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace parley {

inline constexpr std::string_view kSignatureHeader = "Parley-Signature";

// Nothing when OpenSSL's HMAC fails.
std::optional<std::string> webhook_signature(std::string_view secret, std::int64_t unix_seconds,
                                             std::string_view body);

// What signs a delivery (webhook_signature; tests inject a failing one).
using WebhookSigner = std::function<std::optional<std::string>(
    std::string_view secret, std::int64_t unix_seconds, std::string_view body)>;

}  // namespace parley
