#include "policy/turn.hpp"

#include <array>
#include <cmath>
#include <stdexcept>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base/ids.hpp"

namespace parley {
namespace {

std::string hmac_sha1(std::string_view key, std::string_view data) {
  // OpenSSL may reject a null key pointer even with length 0.
  static const unsigned char kEmpty = 0;
  const void* key_bytes = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
  const auto* data_bytes =
      data.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(data.data());
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (HMAC(EVP_sha1(), key_bytes, static_cast<int>(key.size()), data_bytes, data.size(), mac.data(),
           &length) == nullptr) {
    throw std::runtime_error("HMAC-SHA1 failed");
  }
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

}  // namespace

TurnCredential make_turn_credential(std::string_view secret, std::string_view peer_id,
                                    std::int64_t expiry_unix) {
  TurnCredential result;
  result.username = std::to_string(expiry_unix);
  result.username += ':';
  result.username += peer_id;
  result.credential = base64_encode(hmac_sha1(secret, result.username));
  return result;
}

nlohmann::json ice_servers_for(const Config& config, std::string_view peer_id,
                               std::int64_t now_unix) {
  nlohmann::json servers =
      config.ice_servers.is_array() ? config.ice_servers : nlohmann::json::array();
  if (config.turn.secret.empty() || config.turn.urls.empty()) return servers;

  // Whole seconds only: coturn parses the expiry as an integer.
  const auto ttl = static_cast<std::int64_t>(std::floor(config.turn.ttl));
  const TurnCredential turn = make_turn_credential(config.turn.secret, peer_id, now_unix + ttl);
  servers.push_back(
      {{"urls", config.turn.urls}, {"username", turn.username}, {"credential", turn.credential}});
  return servers;
}

}  // namespace parley
