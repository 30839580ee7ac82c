// The server's frames are written by base/json_writer, member by member. Each
// must be byte for byte what a nlohmann::json document of the same members
// prints (the way they were built before, and what clients always got): the
// documents below are the reference, over texts that need every kind of
// escape, non-ASCII and invalid UTF-8.
#include <gtest/gtest.h>

#include "base/json_writer.hpp"
#include "dialects/native/protocol.hpp"
#include "dialects/socketio/socketio_events.hpp"

namespace parley {
namespace {

using nlohmann::json;

std::string dumped(const json& document) {
  return document.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string with_rid(json document, const std::optional<json>& rid) {
  if (rid) document["rid"] = *rid;
  return dumped(document);
}

const std::vector<std::string> kTexts = {
    "",
    "room-1",
    "a \"quoted\" back\\slash",
    std::string("controls \b\f\n\r\t \x01\x1f\x7f end"),
    std::string("nul \0 inside", 12),
    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
    "bad \xff\xfe utf-8 \xc3",
    "/slash and </script>",
};

const std::vector<std::optional<json>> kRids = {
    std::nullopt, json("r-1"), json(42), json(-7), json(1.5), json("\xff"),
};

const std::vector<json> kMetas = {
    json::object(),
    json{{"name", "Ann"}, {"n", 1}},
    json{{"nested", {{"x", json::array({1, "two", nullptr})}}}},
    json::array(),
};

TEST(JsonWriter, StringsAreEscapedAsNlohmannEscapesThem) {
  for (const auto& text : kTexts) {
    std::string out;
    append_json_string(out, text);
    EXPECT_EQ(out, dumped(json(text))) << text;
  }
  for (int c = 0; c < 256; ++c) {
    const std::string text(1, static_cast<char>(c));
    std::string out;
    append_json_string(out, text);
    EXPECT_EQ(out, dumped(json(text))) << c;
  }
}

TEST(JsonWriter, NestsObjectsAndArraysWithCommasInPlace) {
  JsonWriter writer("42");
  writer.begin_array().string("e").begin_object().key("a").number(1).key("b");
  writer.begin_array().end_array().key("c").null().end_object().value(json{{"k", true}});
  writer.raw("[1,2]").strings({"x", "y"}).end_array();
  EXPECT_EQ(std::move(writer).take(),
            R"(42["e",{"a":1,"b":[],"c":null},{"k":true},[1,2],["x","y"]])");
}

TEST(ServerFrames, NativeFramesAreTheBytesOfTheirJsonDocuments) {
  const std::vector<std::string> peers = {"p1", "p\"2", "caf\xc3\xa9"};
  const json ice = json::array({{{"urls", json::array({"stun:example.org"})}}});
  for (const auto& text : kTexts) {
    for (const auto& rid : kRids) {
      for (const auto& meta : kMetas) {
        EXPECT_EQ(encode_joined(text, "id-1", peers, meta, ice, rid),
                  with_rid({{"type", "joined"},
                            {"room", text},
                            {"id", "id-1"},
                            {"peers", peers},
                            {"meta", meta},
                            {"iceServers", ice}},
                           rid));
        EXPECT_EQ(encode_meta_updated(text, meta, rid),
                  with_rid({{"type", "meta-updated"}, {"room", text}, {"meta", meta}}, rid));
        EXPECT_EQ(encode_watching(text, peers, meta, rid),
                  with_rid({{"type", "watching"}, {"room", text}, {"peers", peers}, {"meta", meta}},
                           rid));
        for (const auto& room : {std::optional<std::string>(text), std::optional<std::string>()})
          EXPECT_EQ(encode_resumed("id-1", room, peers, meta, "tok", rid),
                    with_rid({{"type", "resumed"},
                              {"id", "id-1"},
                              {"room", room ? json(*room) : json(nullptr)},
                              {"peers", peers},
                              {"meta", meta},
                              {"resume", "tok"}},
                             rid));
      }
      EXPECT_EQ(encode_full(text, rid), with_rid({{"type", "full"}, {"room", text}}, rid));
      EXPECT_EQ(encode_unwatched(text, rid),
                with_rid({{"type", "unwatched"}, {"room", text}}, rid));
      EXPECT_EQ(encode_pong(rid), with_rid({{"type", "pong"}}, rid));
      EXPECT_EQ(encode_error(ErrorCode::bad_room, text, rid),
                with_rid({{"type", "error"}, {"code", "bad-room"}, {"message", text}}, rid));
      for (const auto reason :
           {LeaveReason::leave, LeaveReason::disconnect, LeaveReason::timeout, LeaveReason::kicked})
        EXPECT_EQ(encode_left(text, reason, rid),
                  with_rid({{"type", "left"}, {"room", text}, {"reason", to_string(reason)}}, rid));
    }
    for (const auto& meta : kMetas) {
      EXPECT_EQ(encode_peer_joined(text, text, meta),
                dumped({{"type", "peer-joined"}, {"room", text}, {"id", text}, {"meta", meta}}));
      EXPECT_EQ(encode_peer_updated(text, "p", meta),
                dumped({{"type", "peer-updated"}, {"room", text}, {"id", "p"}, {"meta", meta}}));
    }
    EXPECT_EQ(encode_peer_left(text, text, LeaveReason::timeout),
              dumped({{"type", "peer-left"}, {"room", text}, {"id", text}, {"reason", "timeout"}}));
    EXPECT_EQ(encode_welcome(text, "tok"),
              dumped({{"type", "welcome"}, {"id", text}, {"resume", "tok"}, {"version", 1}}));
  }
}

TEST(ServerFrames, SocketioRoomEventsAreTheBytesOfTheirJsonArrays) {
  for (const auto& text : kTexts) {
    EXPECT_EQ(socketio_room_event_packet("bye", text, text),
              "42" + dumped(json::array({"bye", text, text})));
    for (const auto& meta : kMetas)
      EXPECT_EQ(socketio_peer_event_packet("otherjoin", text, "p", meta),
                "42" + dumped(json::array({"otherjoin", text, "p", meta})));
  }
}

}  // namespace
}  // namespace parley
