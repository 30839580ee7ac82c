// Writing JSON by hand where a frame is spliced rather than serialised (the
// relay path: no DOM, no allocation beyond the frame's own buffer).
#pragma once

#include <string>
#include <string_view>

namespace parley {

// Appends `text` as a JSON string, quotes included, escaped exactly as
// nlohmann::json's dump() with error_handler_t::replace escapes it: `"` and `\`
// escaped, control characters as \b \f \n \r \t or \u00XX, everything else as
// it is, and invalid UTF-8 replaced by U+FFFD (a std::string can come from
// anywhere; a frame must stay valid JSON).
void append_json_string(std::string& out, std::string_view text);

// The size append_json_string() adds for `text`, for reserving a frame's
// buffer in one go.
inline std::size_t json_string_size(std::string_view text) {
  std::size_t size = 2;
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\' || c == '\b' || c == '\f' || c == '\n' || c == '\r' || c == '\t')
      size += 2;
    else if (byte < 0x20)
      size += 6;
    else
      size += 1;
  }
  return size;
}

}  // namespace parley
