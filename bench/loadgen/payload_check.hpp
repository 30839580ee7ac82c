// The strict check of a relayed payload (smoke test mode): a full JSON parse
// that proves the server passed the object through unchanged.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "dialect.hpp"

namespace loadgen {

// True when `payload` is exactly an object make_relay_text writes and agrees
// with the fast scan in `fields`; otherwise says why.
bool payload_is_exact(const nlohmann::json& payload, const RelayedFields& fields, std::string& why);

}  // namespace loadgen
