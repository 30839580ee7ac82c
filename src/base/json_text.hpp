// Writing JSON by hand where a frame is spliced rather than serialised (the
// relay path: no DOM, no allocation beyond the frame's own buffer).
#pragma once

#include <string>
#include <string_view>

namespace parley {

// Appends `text` (valid UTF-8) as a JSON string, quotes included: `"` and `\`
// escaped, control characters as \u00XX, everything else as it is (what
// nlohmann::json's dump() writes for the same text).
inline void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (byte < 0x20) {
      switch (c) {
        case '\b':
          out.append("\\b");
          break;
        case '\f':
          out.append("\\f");
          break;
        case '\n':
          out.append("\\n");
          break;
        case '\r':
          out.append("\\r");
          break;
        case '\t':
          out.append("\\t");
          break;
        default:
          out.append("\\u00");
          out.push_back(kHex[byte >> 4]);
          out.push_back(kHex[byte & 0xF]);
      }
    } else {
      out.push_back(c);
    }
  }
  out.push_back('"');
}

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
