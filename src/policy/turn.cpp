#include "policy/turn.hpp"

#include <cmath>
#include <stdexcept>

#include "base/hmac.hpp"
#include "base/ids.hpp"

namespace parley {
TurnCredential make_turn_credential(std::string_view secret, std::string_view peer_id,
                                    std::int64_t expiry_unix) {
  TurnCredential result;
  result.username = std::to_string(expiry_unix);
  result.username += ':';
  result.username += peer_id;
  const auto mac = hmac(HmacDigest::sha1, secret, result.username);
  if (!mac) throw std::runtime_error("HMAC-SHA1 failed");
  result.credential = base64_encode(*mac);
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
