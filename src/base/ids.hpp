// Random identifiers (peer ids, resume tokens) and the base64 codecs they and the
// JWT / TURN code need. Everything here is a pure function except the two
// random_* calls, which read OpenSSL's CSPRNG.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace parley {

// 128 random bits as base64url without padding: 22 URL-safe characters, well
// within protocol-v1's "at most 32 characters, at least 96 bits".
std::string random_peer_id();

// 256 random bits as base64url without padding (43 characters): resume tokens are
// bearer secrets, so they get more entropy than the public peer ids.
std::string random_resume_token();

// Base64url (RFC 4648 section 5) without padding, as JWT uses it.
std::string base64url_encode(std::string_view bytes);

// Decodes base64url without padding. Rejects '=' padding, characters outside the
// URL-safe alphabet, a length of 1 mod 4 (no whole byte) and non-zero unused bits
// in the last character (so each byte string has exactly one accepted encoding).
std::optional<std::string> base64url_decode(std::string_view text);

// Standard base64 (RFC 4648 section 4), padded with '='.
std::string base64_encode(std::string_view bytes);

// Strict standard base64: length a multiple of 4, padding only at the end and only
// as much as needed, no whitespace, non-zero unused bits rejected.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace parley
