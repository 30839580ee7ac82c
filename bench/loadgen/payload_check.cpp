#include "payload_check.hpp"

namespace loadgen {

bool payload_is_exact(const nlohmann::json& payload, const RelayedFields& fields,
                      std::string& why) {
  if (!payload.is_object() || payload.size() != 4) {
    why = "payload is not the 4-field object sent: " + payload.dump().substr(0, 120);
    return false;
  }
  for (const char* key : {"org", "seq", "ts"}) {
    if (!payload.contains(key) || !payload[key].is_number_integer()) {
      why = std::string("payload field ") + key + " missing or not an integer";
      return false;
    }
  }
  if (payload["org"].get<std::int64_t>() != fields.origin ||
      payload["seq"].get<std::int64_t>() != fields.seq ||
      payload["ts"].get<std::int64_t>() != fields.sent_at) {
    why = "payload numbers differ from the scanned ones";
    return false;
  }
  if (!payload.contains("pad") || !payload["pad"].is_string() ||
      payload["pad"].get_ref<const std::string&>().find_first_not_of('x') != std::string::npos) {
    why = "payload padding changed";
    return false;
  }
  return true;
}

}  // namespace loadgen
