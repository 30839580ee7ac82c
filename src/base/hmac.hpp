// HMAC over OpenSSL, the one helper for every keyed hash of the daemon: JWT
// verification (HS256), webhook signatures (SHA-256) and TURN REST credentials
// (SHA-1, what coturn checks). Pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley {

enum class HmacDigest { sha1, sha256 };

// The raw MAC bytes of `data` under `key`, or nothing if OpenSSL fails (a
// verifier treats that as a bad signature rather than an exception).
std::optional<std::string> hmac(HmacDigest digest, std::string_view key, std::string_view data);

// Lowercase hexadecimal, two digits per byte.
std::string hex_encode(std::string_view bytes);

}  // namespace parley
