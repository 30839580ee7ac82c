// The payload every relayed message carries, written and read without a JSON
// library: at 150k messages a second on one core the generator cannot afford
// a parse per message (the strict mode adds one, see payload_check.cpp).
#include <charconv>
#include <cstdio>
#include <cstring>

#include "dialect.hpp"

namespace loadgen {

std::string make_relay_text(std::string_view prefix, const RelayMessage& message,
                            std::string_view suffix) {
  char numbers[96];
  const int written =
      std::snprintf(numbers, sizeof numbers, "{\"org\":%lld,\"seq\":%lld,\"ts\":%lld,\"pad\":\"",
                    static_cast<long long>(message.origin), static_cast<long long>(message.seq),
                    static_cast<long long>(message.sent_at));
  const std::size_t fixed = prefix.size() + static_cast<std::size_t>(written) + 2 + suffix.size();
  const std::size_t pad = message.size > fixed ? message.size - fixed : 0;
  std::string text;
  text.reserve(fixed + pad);
  text.append(prefix);
  text.append(numbers, static_cast<std::size_t>(written));
  text.append(pad, 'x');
  text.append("\"}");
  text.append(suffix);
  return text;
}

namespace {

// The integer after `"key":` (optional spaces around the colon), or -1.
std::int64_t integer_field(std::string_view text, std::string_view quoted_key) {
  const auto at = text.find(quoted_key);
  if (at == std::string_view::npos) return -1;
  std::size_t i = at + quoted_key.size();
  while (i < text.size() && (text[i] == ' ' || text[i] == ':')) ++i;
  std::int64_t value = -1;
  const auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), value);
  (void)end;
  return ec == std::errc() ? value : -1;
}

// The string after `"key":` without unescaping (peer ids and our room names
// need none), or an empty view.
std::string_view string_field(std::string_view text, std::string_view quoted_key) {
  const auto at = text.find(quoted_key);
  if (at == std::string_view::npos) return {};
  std::size_t i = at + quoted_key.size();
  while (i < text.size() && (text[i] == ' ' || text[i] == ':')) ++i;
  if (i >= text.size() || text[i] != '"') return {};
  const auto close = text.find('"', i + 1);
  if (close == std::string_view::npos) return {};
  return text.substr(i + 1, close - i - 1);
}

}  // namespace

bool scan_relayed(std::string_view text, RelayedFields& fields) {
  fields.seq = integer_field(text, "\"seq\"");
  if (fields.seq < 0) return false;
  fields.origin = integer_field(text, "\"org\"");
  fields.sent_at = integer_field(text, "\"ts\"");
  fields.from = string_field(text, "\"from\"");
  return true;
}

}  // namespace loadgen
