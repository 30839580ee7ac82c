// One Redis reply as an owned value, so it can outlive hiredis's reply object and
// cross strands. Errors made by the client itself (not connected, connection
// lost) are error replies too, so a caller has one thing to check.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace parley {

struct RedisReply {
  enum class Kind { nil, status, error, integer, string, array };

  Kind kind = Kind::nil;
  std::string text;  // status, error or string
  std::int64_t integer = 0;
  std::vector<RedisReply> elements;  // array

  bool is_error() const { return kind == Kind::error; }
  bool is_nil() const { return kind == Kind::nil; }
  bool is_array() const { return kind == Kind::array; }
  // An error reply whose text starts with `code` ("NOSCRIPT", "WRONGPASS", ...).
  bool is_error(std::string_view code) const {
    return is_error() && std::string_view(text).substr(0, code.size()) == code;
  }

  static RedisReply error(std::string message);
  static RedisReply from_hiredis(const redisReply& reply);
};

// For logs and test failures: `"OK"`, `(error) NOSCRIPT ...`, `[1, "a", nil]`.
std::string to_string(const RedisReply& reply);

}  // namespace parley
