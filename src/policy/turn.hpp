// The iceServers list a joiner gets: the configured servers, plus time-limited
// TURN credentials in the TURN REST scheme that coturn's use-auth-secret checks.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "config/config.hpp"

namespace parley {

struct TurnCredential {
  std::string username;    // "<expiry unix seconds>:<peer id>"
  std::string credential;  // base64(HMAC-SHA1(secret, username))
};

TurnCredential make_turn_credential(std::string_view secret, std::string_view peer_id,
                                    std::int64_t expiry_unix);

// config.ice_servers as configured, followed (when turn.secret is set and
// turn.urls is not empty) by {"urls": turn.urls, "username", "credential"} valid
// until now_unix + floor(turn.ttl).
nlohmann::json ice_servers_for(const Config& config, std::string_view peer_id,
                               std::int64_t now_unix);

}  // namespace parley
