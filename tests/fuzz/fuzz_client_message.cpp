// Fuzz target: the client-message parser and validator, and the `from` stamp
// applied to everything that parses as a relay. Beyond "no crash", it checks
// the properties the relay rules rely on: the parser (simdjson, with
// nlohmann::json for big integers) accepts exactly the JSON objects that
// nlohmann::json accepts, up to the depth limit and except for trailing NULs; the stamped text is
// one JSON object whose `from` is the sender and whose other members are the sender's.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <nlohmann/json.hpp>

#include "dialects/native/protocol.hpp"

namespace {

constexpr std::string_view kSender = "Sender_Peer-Id0123456789";

[[noreturn]] void violated(const char* what) {
  // abort() is what libFuzzer (and the replay runner) report as a finding.
  __builtin_fprintf(stderr, "property violated: %s\n", what);
  std::abort();
}

void check_stamp(std::string_view text, const parley::ClientMessage& message,
                 const nlohmann::json& document) {
  const std::string stamped = parley::stamp_from(text, message.has_from, kSender);
  // Strict parsers (JavaScript's JSON.parse) allow only JSON whitespace before
  // the object: no byte order mark, nothing else.
  const auto first = stamped.find_first_not_of(" \t\r\n");
  if (first == std::string::npos || stamped[first] != '{')
    violated("the stamped relay does not start with '{' after JSON whitespace");
  auto relayed = nlohmann::json::parse(stamped, nullptr, /*allow_exceptions=*/false);
  if (!relayed.is_object()) violated("the stamped relay is not a JSON object");
  auto from = relayed.find("from");
  if (from == relayed.end() || !from->is_string() || *from != kSender)
    violated("the stamped relay does not carry the sender's id as `from`");
  nlohmann::json expected = document;
  expected["from"] = kSender;
  if (relayed != expected) violated("the stamped relay changed a member other than `from`");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = parley::parse_client_message(text);
  const auto document = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (auto* message = std::get_if<parley::ClientMessage>(&parsed)) {
    if (!document.is_object()) violated("a message nlohmann::json refuses was accepted");
    if (message->has_from != document.contains("from")) violated("`from` seen wrongly");
    if (message->type == parley::ClientType::join && !parley::is_valid_room_name(message->room))
      violated("a join with an invalid room name was accepted");
    if (parley::is_relay(message->type)) check_stamp(text, *message, document);
  } else {
    const auto& problem = std::get<parley::ProtocolError>(parsed);
    if (parley::to_string(problem.code).empty()) violated("an error without a code");
    const bool too_deep = problem.message.starts_with("JSON nests deeper");
    // nlohmann::json takes a NUL byte for the end of the input, so it accepts
    // `{...}` followed by NULs, which is not JSON (JSON.parse refuses it too).
    const bool has_nul = text.find('\0') != std::string_view::npos;
    if (problem.code == parley::ErrorCode::bad_json && !too_deep && !has_nul &&
        document.is_object())
      violated("a JSON object nlohmann::json accepts was refused as bad-json");
  }
  return 0;
}
