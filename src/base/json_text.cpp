#include "base/json_text.hpp"

#include <nlohmann/json.hpp>

namespace parley {

namespace {

constexpr char kHex[] = "0123456789abcdef";

// The escape of one byte below 0x80, or nothing when it stands for itself.
std::string_view ascii_escape(unsigned char c, char (&buffer)[6]) {
  switch (c) {
    case '"':
      return "\\\"";
    case '\\':
      return "\\\\";
    case '\b':
      return "\\b";
    case '\f':
      return "\\f";
    case '\n':
      return "\\n";
    case '\r':
      return "\\r";
    case '\t':
      return "\\t";
    default:
      break;
  }
  if (c >= 0x20) return {};
  buffer[0] = '\\';
  buffer[1] = 'u';
  buffer[2] = '0';
  buffer[3] = '0';
  buffer[4] = kHex[c >> 4];
  buffer[5] = kHex[c & 0xF];
  return {buffer, 6};
}

}  // namespace

void append_json_string(std::string& out, std::string_view text) {
  for (const char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      // Beyond ASCII the text may be invalid UTF-8 (a std::string from
      // anywhere): nlohmann::json decides, so the replacement is its own.
      out.append(nlohmann::json(std::string(text))
                     .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
      return;
    }
  }
  out.push_back('"');
  std::size_t plain_from = 0;
  char buffer[6];
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto escape = ascii_escape(static_cast<unsigned char>(text[i]), buffer);
    if (escape.empty()) continue;
    out.append(text.substr(plain_from, i - plain_from));
    out.append(escape);
    plain_from = i + 1;
  }
  out.append(text.substr(plain_from));
  out.push_back('"');
}

}  // namespace parley
