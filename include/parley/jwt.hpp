// Verification of the join tokens of protocol-v1 "Auth": compact HS256 JWTs with
// an `exp` and a `room` claim. Pure functions: the clock is passed in.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace parley {

enum class JwtStatus {
  ok,
  malformed,      // not three base64url parts, header or payload not a JSON object,
                  // `exp` missing or not a number
  bad_algorithm,  // header `alg` missing or anything but "HS256" ("none" included)
  bad_signature,  // the HMAC-SHA256 of "header.payload" under the secret differs
  expired,        // `exp` <= now (no leeway)
  wrong_room,     // `room` claim missing, not a string, or neither the room nor "*"
};

// Checks `token` for a join of `room` at `now_unix` (seconds). The checks run in
// this order: structure and header, algorithm, signature, then the claims, so
// nothing of an unsigned payload is trusted. Never throws, whatever the input.
JwtStatus verify_join_token(std::string_view token, std::string_view secret, std::string_view room,
                            std::int64_t now_unix) noexcept;

// A short English name of a status, for logs.
std::string_view to_string(JwtStatus status);

// Mints a compact JWT with header {"alg": alg, "typ": "JWT"} and `payload`. The
// signature is HMAC-SHA256 under `secret` whatever `alg` says (so tests can build
// a correctly signed token that lies about its algorithm), except for alg "none",
// which gets the empty signature such tokens carry.
std::string sign_join_token_for_tests(std::string_view secret, const nlohmann::json& payload,
                                      std::string_view alg = "HS256");

}  // namespace parley
