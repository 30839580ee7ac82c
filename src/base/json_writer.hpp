// Writes the server's own JSON frames straight into one string.
//
// Building a frame as a nlohmann::json document costs a tree of nodes (a
// std::map per object, a string per member) that is printed once and thrown
// away; a join or a leave sends several frames, so on a room that lives a few
// seconds that was most of the server's work. This writer appends members in
// the order it is given them: the callers list them in byte order of their
// keys, the order nlohmann::json printed them, so the bytes on the wire are the
// ones clients always got.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "base/json_text.hpp"

namespace parley {

class JsonWriter {
 public:
  // `prefix` is written first, as it is (a socket.io packet's "42").
  explicit JsonWriter(std::string_view prefix = {}, std::size_t reserve = 128);

  JsonWriter& begin_object();
  JsonWriter& end_object();
  JsonWriter& begin_array();
  JsonWriter& end_array();
  // A member's key; the value written next is its value.
  JsonWriter& key(std::string_view name);

  JsonWriter& string(std::string_view text);
  JsonWriter& strings(const std::vector<std::string>& texts);
  JsonWriter& number(std::int64_t value);
  JsonWriter& null();
  JsonWriter& value(const nlohmann::json& value);
  // Text that is already valid JSON (a parser said so), written as it is.
  JsonWriter& raw(std::string_view json_text);

  std::string take() && { return std::move(out_); }

 private:
  void before_value();

  std::string out_;
  bool need_comma_ = false;
};

}  // namespace parley
