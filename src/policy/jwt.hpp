// Verification of the join tokens of protocol-v1 "Auth": compact HS256 JWTs with
// an `exp` and a `room` claim, and the grants of integration-v1 "Token grants"
// (`meta`, `max_peers`, `relay`). Pure functions: the clock is passed in.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "rooms/events.hpp"

namespace parley {

enum class JwtStatus {
  ok,
  malformed,      // not three base64url parts, header or payload not a JSON object,
                  // `exp` missing or not a number
  bad_algorithm,  // header `alg` missing or anything but "HS256" ("none" included)
  bad_signature,  // the HMAC-SHA256 of "header.payload" under the secret differs
  expired,        // `exp` <= now (no leeway)
  wrong_room,     // `room` claim missing, not a string, or neither the room nor "*"
  bad_grant,      // `meta`, `max_peers` or `relay` of the wrong type or out of range
};

// What a token grants besides its room. Absent claims grant the server's defaults.
struct JoinGrants {
  std::optional<nlohmann::json> meta;    // pins the peer's metadata (an object)
  std::optional<std::size_t> max_peers;  // capacity of a room this join creates, 1..1000
  std::uint8_t relay = kRelayAll;        // relay types the peer may send
};

struct TokenCheck {
  JwtStatus status = JwtStatus::malformed;
  JoinGrants grants;  // meaningful when status is ok
};

// Checks `token` for a join (or watch) of `room` at `now_unix` and reads its
// grants; a `meta` claim may be at most `max_meta_bytes` bytes as compact JSON.
// The grant checks come last, after the signature and the standard claims.
// Never throws, whatever the input.
TokenCheck check_join_token(std::string_view token, std::string_view secret, std::string_view room,
                            std::int64_t now_unix, std::size_t max_meta_bytes) noexcept;

// Checks `token` for a join of `room` at `now_unix` (seconds). The checks run in
// this order: structure and header, algorithm, signature, then the claims, so
// nothing of an unsigned payload is trusted. Never throws, whatever the input.
// check_join_token with the default metadata limit, for callers that need only
// the verdict.
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
