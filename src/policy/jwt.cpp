#include "policy/jwt.hpp"

#include <limits>
#include <optional>
#include <stdexcept>

#include <openssl/crypto.h>

#include "base/hmac.hpp"
#include "base/ids.hpp"

namespace parley {
namespace {

// Decodes one base64url part into a JSON object, or nothing.
std::optional<nlohmann::json> decode_json_object(std::string_view part) {
  const auto text = base64url_decode(part);
  if (!text) return std::nullopt;
  // No exceptions: invalid JSON (and invalid UTF-8 inside strings) comes back
  // as a "discarded" value.
  auto value = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) return std::nullopt;
  return value;
}

// `exp` strictly after `now`, for every JSON number type (integers beyond the
// range of int64 are far in the future; fractions are allowed by RFC 7519).
bool expires_after(const nlohmann::json& exp, std::int64_t now) {
  if (exp.is_number_unsigned()) {
    const auto value = exp.get<std::uint64_t>();
    return value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
           static_cast<std::int64_t>(value) > now;
  }
  if (exp.is_number_integer()) return exp.get<std::int64_t>() > now;
  return exp.get<double>() > static_cast<double>(now);
}

// The grants of a verified payload, or nothing when a claim breaks its rule.
std::optional<JoinGrants> read_grants(const nlohmann::json& payload, std::size_t max_meta_bytes) {
  JoinGrants grants;
  if (const auto meta = payload.find("meta"); meta != payload.end()) {
    if (!meta->is_object() ||
        meta->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).size() >
            max_meta_bytes)
      return std::nullopt;
    grants.meta = *meta;
  }
  if (const auto max_peers = payload.find("max_peers"); max_peers != payload.end()) {
    // A whole number from 1 to 1000; 8.0 is the same JSON number as 8.
    if (!max_peers->is_number()) return std::nullopt;
    const double value = max_peers->get<double>();
    if (!(value >= 1 && value <= 1000) || value != static_cast<double>(static_cast<int>(value)))
      return std::nullopt;
    grants.max_peers = static_cast<std::size_t>(value);
  }
  if (const auto relay = payload.find("relay"); relay != payload.end()) {
    if (!relay->is_array()) return std::nullopt;
    grants.relay = 0;
    for (const auto& type : *relay) {
      if (!type.is_string()) return std::nullopt;
      const std::uint8_t bit = relay_bit(type.get_ref<const std::string&>());
      if (bit == 0) return std::nullopt;
      grants.relay |= bit;
    }
  }
  return grants;
}

TokenCheck verify(std::string_view token, std::string_view secret, std::string_view room,
                  std::int64_t now_unix, std::size_t max_meta_bytes) {
  const auto first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return {JwtStatus::malformed, {}};
  const auto second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos) return {JwtStatus::malformed, {}};
  if (token.find('.', second_dot + 1) != std::string_view::npos) return {JwtStatus::malformed, {}};

  const std::string_view header_part = token.substr(0, first_dot);
  const std::string_view payload_part = token.substr(first_dot + 1, second_dot - first_dot - 1);
  const std::string_view signature_part = token.substr(second_dot + 1);

  const auto header = decode_json_object(header_part);
  if (!header) return {JwtStatus::malformed, {}};
  const auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") {
    return {JwtStatus::bad_algorithm, {}};
  }

  const auto signature = base64url_decode(signature_part);
  if (!signature) return {JwtStatus::malformed, {}};
  const auto expected = hmac(HmacDigest::sha256, secret, token.substr(0, second_dot));
  if (!expected || signature->size() != expected->size() ||
      CRYPTO_memcmp(signature->data(), expected->data(), expected->size()) != 0) {
    return {JwtStatus::bad_signature, {}};
  }

  const auto payload = decode_json_object(payload_part);
  if (!payload) return {JwtStatus::malformed, {}};
  const auto exp = payload->find("exp");
  if (exp == payload->end() || !exp->is_number()) return {JwtStatus::malformed, {}};
  if (!expires_after(*exp, now_unix)) return {JwtStatus::expired, {}};

  const auto room_claim = payload->find("room");
  if (room_claim == payload->end() || !room_claim->is_string()) return {JwtStatus::wrong_room, {}};
  const auto& granted = room_claim->get_ref<const std::string&>();
  if (granted != "*" && granted != room) return {JwtStatus::wrong_room, {}};
  auto grants = read_grants(*payload, max_meta_bytes);
  if (!grants) return {JwtStatus::bad_grant, {}};
  return {JwtStatus::ok, std::move(*grants)};
}

}  // namespace

TokenCheck check_join_token(std::string_view token, std::string_view secret, std::string_view room,
                            std::int64_t now_unix, std::size_t max_meta_bytes) noexcept {
  try {
    return verify(token, secret, room, now_unix, max_meta_bytes);
  } catch (...) {
    // Only allocation failure can get here; a token we could not check is no token.
    return {JwtStatus::malformed, {}};
  }
}

JwtStatus verify_join_token(std::string_view token, std::string_view secret, std::string_view room,
                            std::int64_t now_unix) noexcept {
  return check_join_token(token, secret, room, now_unix, 1024).status;
}

std::string_view to_string(JwtStatus status) {
  switch (status) {
    case JwtStatus::ok:
      return "ok";
    case JwtStatus::malformed:
      return "malformed token";
    case JwtStatus::bad_algorithm:
      return "token algorithm is not HS256";
    case JwtStatus::bad_signature:
      return "bad token signature";
    case JwtStatus::expired:
      return "token expired";
    case JwtStatus::wrong_room:
      return "token is not for this room";
    case JwtStatus::bad_grant:
      return "a grant claim (meta, max_peers, relay) is of the wrong type or out of range";
  }
  return "unknown";
}

std::string sign_join_token_for_tests(std::string_view secret, const nlohmann::json& payload,
                                      std::string_view alg) {
  const nlohmann::json header = {{"alg", std::string(alg)}, {"typ", "JWT"}};
  std::string signing_input =
      base64url_encode(header.dump()) + "." + base64url_encode(payload.dump());
  std::string signature;
  if (alg != "none") {
    const auto mac = hmac(HmacDigest::sha256, secret, signing_input);
    if (!mac) throw std::runtime_error("HMAC-SHA256 failed");
    signature = base64url_encode(*mac);
  }
  return signing_input + "." + signature;
}

}  // namespace parley
