// Parsing and validating client messages, splicing `from`, and the server's
// frames, per protocol-v1.
#include "dialects/native/protocol.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

using nlohmann::json;

ErrorCode error_of(std::string_view text) {
  auto result = parse_client_message(text);
  auto* error = std::get_if<ProtocolError>(&result);
  if (!error) ADD_FAILURE() << "expected an error for " << text;
  return error ? error->code : ErrorCode::bad_message;
}

ClientMessage message_of(std::string_view text) {
  auto result = parse_client_message(text);
  if (auto* error = std::get_if<ProtocolError>(&result)) {
    ADD_FAILURE() << "unexpected " << to_string(error->code) << " for " << text;
    return {};
  }
  return std::get<ClientMessage>(result);
}

TEST(Protocol, NotAJsonObjectIsBadJson) {
  for (const char* text : {"", "nope", "[1,2]", "\"join\"", "42", "null", "{\"type\":", "{}x"})
    EXPECT_EQ(error_of(text), ErrorCode::bad_json) << text;
}

TEST(Protocol, DeepNestingIsBadJsonNotACrash) {
  std::string deep(60000, '[');
  EXPECT_EQ(error_of(deep), ErrorCode::bad_json);
  std::string deep_in_data =
      R"({"type":"message","data":)" + std::string(100, '[') + std::string(100, ']') + "}";
  EXPECT_EQ(error_of(deep_in_data), ErrorCode::bad_json);
  // Brackets inside strings do not count.
  std::string in_string = R"({"type":"message","data":")" + std::string(1000, '[') + "\"}";
  EXPECT_EQ(message_of(in_string).type, ClientType::message);
}

TEST(Protocol, DepthLimitIsExact) {
  auto nested = [](std::size_t depth) {  // the object itself is depth 1
    return R"({"type":"message","data":)" + std::string(depth - 1, '[') +
           std::string(depth - 1, ']') + "}";
  };
  EXPECT_EQ(message_of(nested(kMaxJsonDepth)).type, ClientType::message);
  EXPECT_EQ(error_of(nested(kMaxJsonDepth + 1)), ErrorCode::bad_json);
  // Also where the fast parser hands over to the slow one (a big integer).
  EXPECT_EQ(error_of(R"({"type":"message","n":123456789012345678901234567890,"data":)" +
                     std::string(60000, '[')),
            ErrorCode::bad_json);
}

TEST(Protocol, LargeMessagesParse) {
  // Beyond the parser's initial capacity: it grows rather than refusing.
  const std::string big = R"({"type":"message","data":")" + std::string(300000, 'x') + "\"}";
  EXPECT_EQ(message_of(big).type, ClientType::message);
}

TEST(Protocol, IntegersBeyond64BitsAreValidJson) {
  const auto msg = message_of(R"({"type":"message","data":123456789012345678901234567890,)"
                              R"("rid":-99999999999999999999})");
  EXPECT_EQ(msg.type, ClientType::message);
  ASSERT_TRUE(msg.rid);
  EXPECT_TRUE(msg.rid->is_number_float());
  EXPECT_EQ(error_of(R"({"type":"message","data":1e400})"), ErrorCode::bad_json);
  EXPECT_EQ(error_of(R"({"type":"message","data":01})"), ErrorCode::bad_json);
}

TEST(Protocol, TrailingNulBytesAreNotJson) {
  // (nlohmann::json would stop reading at the first NUL and accept this.)
  EXPECT_EQ(error_of(std::string_view("{\"type\":\"ping\"}\0\0", 17)), ErrorCode::bad_json);
}

TEST(Protocol, ByteOrderMarkAndSurrogates) {
  EXPECT_EQ(message_of("\xEF\xBB\xBF{\"type\":\"ping\"}").type, ClientType::ping);
  EXPECT_EQ(error_of(R"({"type":"message","data":"\ud800"})"), ErrorCode::bad_json);
  EXPECT_EQ(message_of(R"({"type":"message","data":"\ud83d\ude00"})").type, ClientType::message);
}

TEST(Protocol, AMemberWrittenTwiceCountsWithItsLastValue) {
  EXPECT_EQ(message_of(R"({"type":"offer","sdp":"x","type":"ping"})").type, ClientType::ping);
  EXPECT_EQ(*message_of(R"({"type":"message","data":1,"to":"a","to":"b"})").to, "b");
  EXPECT_EQ(error_of(R"({"type":"message","data":1,"to":"a","to":5})"), ErrorCode::bad_message);
  EXPECT_TRUE(message_of(R"({"type":"message","data":1,"from":"x"})").has_from);
  EXPECT_FALSE(message_of(R"({"type":"message","data":{"from":"x"}})").has_from);
}

TEST(Protocol, TypeMustBeAKnownString) {
  EXPECT_EQ(error_of(R"({"room":"r"})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":5})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":null})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"hello"})"), ErrorCode::unknown_type);
  EXPECT_EQ(error_of(R"({"type":"JOIN","room":"r"})"), ErrorCode::unknown_type);
}

TEST(Protocol, RidIsAStringOrNumberOfAtMost64Characters) {
  EXPECT_EQ(*message_of(R"({"type":"ping","rid":"abc"})").rid, "abc");
  EXPECT_EQ(*message_of(R"({"type":"ping","rid":7})").rid, 7);
  EXPECT_EQ(*message_of(R"({"type":"ping","rid":1.5})").rid, 1.5);
  const std::string rid64(64, 'r');
  EXPECT_EQ(*message_of(R"({"type":"ping","rid":")" + rid64 + "\"}").rid, rid64);
  // 64 characters, not bytes: é is two bytes.
  std::string accents;
  for (int i = 0; i < 64; ++i) accents += "\xC3\xA9";
  EXPECT_TRUE(message_of(R"({"type":"ping","rid":")" + accents + "\"}").rid);
  EXPECT_EQ(error_of(R"({"type":"ping","rid":")" + rid64 + "x\"}"), ErrorCode::bad_message);
  for (const char* bad : {"null", "true", "[]", "{}"})
    EXPECT_EQ(error_of(std::string(R"({"type":"ping","rid":)") + bad + "}"), ErrorCode::bad_message)
        << bad;
  // A bad rid wins over an unknown type, and errors carry a good rid.
  EXPECT_EQ(error_of(R"({"type":"what","rid":null})"), ErrorCode::bad_message);
  auto result = parse_client_message(R"({"type":"what","rid":"q1"})");
  EXPECT_EQ(*std::get<ProtocolError>(result).rid, "q1");
}

TEST(Protocol, JoinNeedsAValidRoomString) {
  EXPECT_EQ(message_of(R"({"type":"join","room":"lobby"})").room, "lobby");
  EXPECT_EQ(error_of(R"({"type":"join"})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"join","room":5})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"join","room":null})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"join","room":""})"), ErrorCode::bad_room);
  EXPECT_EQ(error_of(R"({"type":"join","room":"a\u0001b"})"), ErrorCode::bad_room);
  EXPECT_EQ(error_of(R"({"type":"join","room":"a\u007fb"})"), ErrorCode::bad_room);
  EXPECT_EQ(error_of(R"({"type":"join","room":")" + std::string(65, 'x') + "\"}"),
            ErrorCode::bad_room);
  EXPECT_EQ(message_of(R"({"type":"join","room":")" + std::string(64, 'x') + "\"}").room.size(),
            64u);
  // 64 bytes, not characters: 33 two-byte characters are 66 bytes.
  std::string wide;
  for (int i = 0; i < 33; ++i) wide += "\xC3\xA9";
  EXPECT_EQ(error_of(R"({"type":"join","room":")" + wide + "\"}"), ErrorCode::bad_room);
  EXPECT_EQ(error_of(R"({"type":"join","room":"r","token":5})"), ErrorCode::bad_message);
  EXPECT_EQ(*message_of(R"({"type":"join","room":"r","token":"t"})").token, "t");
}

TEST(Protocol, RelayFieldsAreChecked) {
  EXPECT_EQ(message_of(R"({"type":"offer","sdp":"v=0"})").type, ClientType::offer);
  EXPECT_EQ(error_of(R"({"type":"offer"})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"answer","sdp":{}})"), ErrorCode::bad_message);
  for (const char* ok : {R"("c")", "null", R"({"candidate":"x"})"})
    EXPECT_EQ(message_of(std::string(R"({"type":"candidate","candidate":)") + ok + "}").type,
              ClientType::candidate);
  EXPECT_EQ(error_of(R"({"type":"candidate"})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"candidate","candidate":3})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"candidate","candidate":[]})"), ErrorCode::bad_message);
  EXPECT_EQ(message_of(R"({"type":"message","data":null})").type, ClientType::message);
  EXPECT_EQ(error_of(R"({"type":"message"})"), ErrorCode::bad_message);
  EXPECT_EQ(*message_of(R"({"type":"message","data":1,"to":"p"})").to, "p");
  EXPECT_EQ(error_of(R"({"type":"message","data":1,"to":7})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"message","data":1,"to":null})"), ErrorCode::bad_message);
}

TEST(Protocol, ResumeNeedsAStringToken) {
  EXPECT_EQ(*message_of(R"({"type":"resume","token":"abc"})").token, "abc");
  EXPECT_EQ(error_of(R"({"type":"resume"})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"resume","token":1})"), ErrorCode::bad_message);
}

TEST(Protocol, StampFromSplicesWithoutTouchingOtherBytes) {
  const std::string text = R"(  {"type":"offer","sdp":"v=0\r\n","n":1.50,"to":"p","rid":9})";
  auto msg = message_of(text);
  const std::string stamped = stamp_from(text, msg.has_from, "PEER");
  // Exactly the original bytes, with one member added.
  EXPECT_EQ(stamped,
            R"(  {"from":"PEER","type":"offer","sdp":"v=0\r\n","n":1.50,"to":"p","rid":9})");
  json parsed = json::parse(stamped);
  EXPECT_EQ(parsed["from"], "PEER");
  EXPECT_EQ(parsed["to"], "p");
}

TEST(Protocol, StampFromReplacesAClientWrittenFrom) {
  const std::string text = R"({"type":"message","data":{"x":1},"from":"mallory"})";
  auto msg = message_of(text);
  json parsed = json::parse(stamp_from(text, msg.has_from, "PEER"));
  EXPECT_EQ(parsed["from"], "PEER");
  EXPECT_EQ(parsed["data"], json({{"x", 1}}));
  EXPECT_EQ(parsed.size(), 3u);
}

TEST(Protocol, ServerFramesCarryTheirFields) {
  EXPECT_EQ(json::parse(encode_welcome("id1", "tok")),
            json({{"type", "welcome"}, {"id", "id1"}, {"resume", "tok"}, {"version", 1}}));
  const json meta = {{"a", json::object()}, {"b", {{"name", "Bea"}}}};
  json joined = json::parse(encode_joined("r", "me", {"a", "b"}, meta, json::array(), json("x")));
  EXPECT_EQ(joined["peers"], json({"a", "b"}));
  EXPECT_EQ(joined["meta"], meta);
  EXPECT_EQ(joined["iceServers"], json::array());
  EXPECT_EQ(joined["rid"], "x");
  EXPECT_FALSE(json::parse(encode_full("r", std::nullopt)).contains("rid"));
  EXPECT_EQ(json::parse(encode_left("r", LeaveReason::kicked, 3))["reason"], "kicked");
  EXPECT_EQ(json::parse(encode_peer_left("r", "p", LeaveReason::timeout))["reason"], "timeout");
  json resumed =
      json::parse(encode_resumed("me", std::nullopt, {}, json::object(), "t2", std::nullopt));
  EXPECT_TRUE(resumed["room"].is_null());
  EXPECT_EQ(resumed["peers"], json::array());
  EXPECT_EQ(resumed["meta"], json::object());
  json error = json::parse(encode_error(ErrorCode::unknown_peer, "who?", json(1)));
  EXPECT_EQ(error["code"], "unknown-peer");
  EXPECT_EQ(error["rid"], 1);
  EXPECT_EQ(error["message"], "who?");
}

TEST(Protocol, EveryErrorCodeHasItsWireName) {
  const char* names[] = {"bad-json",        "bad-message",  "unknown-type",  "bad-room",
                         "already-in-room", "not-in-room",  "unknown-peer",  "unauthorized",
                         "room-limit",      "rate-limited", "resume-failed", "forbidden",
                         "watch-limit",     "not-watching", "unavailable"};
  static_assert(std::size(names) == kErrorCodeCount);
  for (std::size_t i = 0; i < kErrorCodeCount; ++i)
    EXPECT_EQ(to_string(static_cast<ErrorCode>(i)), names[i]);
}

// --- integration-v1: metadata, watching ---------------------------------------

TEST(ProtocolMeta, JoinMayCarryAnObject) {
  auto msg = message_of(R"({"type":"join","room":"r","meta":{"name":"Ada","n":[1,2]}})");
  ASSERT_TRUE(msg.meta);
  EXPECT_EQ(*msg.meta, json({{"name", "Ada"}, {"n", {1, 2}}}));
  EXPECT_FALSE(message_of(R"({"type":"join","room":"r"})").meta);
}

TEST(ProtocolMeta, AnythingButAnObjectIsBadMessage) {
  for (const char* meta : {"null", R"("Ada")", "[1]", "3", "true"}) {
    EXPECT_EQ(error_of(std::string(R"({"type":"join","room":"r","meta":)") + meta + "}"),
              ErrorCode::bad_message)
        << meta;
    EXPECT_EQ(error_of(std::string(R"({"type":"update-meta","meta":)") + meta + "}"),
              ErrorCode::bad_message)
        << meta;
  }
  EXPECT_EQ(error_of(R"({"type":"update-meta"})"), ErrorCode::bad_message);
}

TEST(ProtocolMeta, TheSizeLimitCountsCompactJson) {
  // {"n":"<k x>"} is 8 + k bytes compact; blanks in the sender's text do not count.
  ParseLimits limits{20};
  const std::string fits = R"({"type":"join","room":"r","meta":{ "n" : "012345678901" }})";
  const std::string over = R"({"type":"join","room":"r","meta":{"n":"0123456789012"}})";
  EXPECT_TRUE(std::holds_alternative<ClientMessage>(parse_client_message(fits, limits)));
  auto refused = parse_client_message(over, limits);
  ASSERT_TRUE(std::holds_alternative<ProtocolError>(refused));
  EXPECT_EQ(std::get<ProtocolError>(refused).code, ErrorCode::bad_message);
  // The default limit is 1024.
  const std::string big =
      R"({"type":"update-meta","meta":{"n":")" + std::string(1017, 'x') + R"("}})";
  EXPECT_EQ(error_of(big), ErrorCode::bad_message);
  const std::string max =
      R"({"type":"update-meta","meta":{"n":")" + std::string(1016, 'x') + R"("}})";
  EXPECT_EQ(message_of(max).type, ClientType::update_meta);
}

TEST(ProtocolMeta, SizeIsInUtf8Bytes) {
  // "é" is 2 bytes: {"n":"é"} is 10 bytes.
  EXPECT_TRUE(is_valid_meta(json::parse(R"({"n":"é"})"), 10));
  EXPECT_FALSE(is_valid_meta(json::parse(R"({"n":"é"})"), 9));
  EXPECT_FALSE(is_valid_meta(json::array(), 100));
}

TEST(ProtocolMeta, BadMetaOnJoinComesBeforeABadRoom) {
  // Field types are checked before the room name rule.
  EXPECT_EQ(error_of(R"({"type":"join","room":"","meta":1})"), ErrorCode::bad_message);
  EXPECT_EQ(error_of(R"({"type":"join","room":"","meta":{}})"), ErrorCode::bad_room);
}

TEST(ProtocolWatch, WatchAndUnwatchNeedARoom) {
  auto watch = message_of(R"({"type":"watch","room":"lobby","token":"t","rid":4})");
  EXPECT_EQ(watch.type, ClientType::watch);
  EXPECT_EQ(watch.room, "lobby");
  EXPECT_EQ(watch.token, "t");
  EXPECT_EQ(watch.rid, json(4));
  EXPECT_EQ(message_of(R"({"type":"unwatch","room":"lobby"})").type, ClientType::unwatch);
  for (const char* type : {"watch", "unwatch"}) {
    const std::string t = type;
    EXPECT_EQ(error_of(R"({"type":")" + t + R"("})"), ErrorCode::bad_message) << t;
    EXPECT_EQ(error_of(R"({"type":")" + t + R"(","room":5})"), ErrorCode::bad_message) << t;
    EXPECT_EQ(error_of(R"({"type":")" + t + R"(","room":""})"), ErrorCode::bad_room) << t;
    EXPECT_EQ(error_of(R"({"type":")" + t + R"(","room":"a\u0001"})"), ErrorCode::bad_room) << t;
  }
  EXPECT_EQ(error_of(R"({"type":"watch","room":"r","token":7})"), ErrorCode::bad_message);
}

TEST(ProtocolWatch, ErrorsEchoTheRid) {
  auto result = parse_client_message(R"({"type":"watch","room":"","rid":"w1"})");
  ASSERT_TRUE(std::holds_alternative<ProtocolError>(result));
  EXPECT_EQ(std::get<ProtocolError>(result).rid, json("w1"));
}

TEST(ProtocolMeta, NewServerFrames) {
  const json meta = {{"name", "Ada"}};
  EXPECT_EQ(json::parse(encode_peer_joined("r", "p", meta)),
            json({{"type", "peer-joined"}, {"room", "r"}, {"id", "p"}, {"meta", meta}}));
  EXPECT_EQ(json::parse(encode_peer_updated("r", "p", meta)),
            json({{"type", "peer-updated"}, {"room", "r"}, {"id", "p"}, {"meta", meta}}));
  EXPECT_EQ(json::parse(encode_meta_updated("r", meta, json("u"))),
            json({{"type", "meta-updated"}, {"room", "r"}, {"meta", meta}, {"rid", "u"}}));
  EXPECT_EQ(json::parse(encode_watching("r", {"p"}, {{"p", meta}}, json(2))),
            json({{"type", "watching"},
                  {"room", "r"},
                  {"peers", {"p"}},
                  {"meta", {{"p", meta}}},
                  {"rid", 2}}));
  EXPECT_EQ(json::parse(encode_unwatched("r", std::nullopt)),
            json({{"type", "unwatched"}, {"room", "r"}}));
}

}  // namespace
}  // namespace parley

namespace parley {
namespace {

TEST(Protocol, FindRidReadsOnlyAValidTopLevelRid) {
  EXPECT_EQ(*find_rid(R"({"type":"ping","rid":"a"})"), "a");
  EXPECT_EQ(*find_rid("\xEF\xBB\xBF"
                      R"({"rid":3})"),
            3);
  EXPECT_EQ(*find_rid(R"({"data":[[[{"rid":1}]]],"rid":18446744073709551615})"),
            18446744073709551615u);
  EXPECT_EQ(*find_rid(R"({"rid":")" + std::string(64, 'x') + "\"}"), std::string(64, 'x'));
  EXPECT_FALSE(find_rid(R"({"rid":")" + std::string(65, 'x') + "\"}"));
  EXPECT_FALSE(find_rid(R"({"rid":123456789012345678901234567890})"));  // beyond 64 bits
  EXPECT_FALSE(find_rid(R"({"rid":true})"));
  EXPECT_FALSE(find_rid(R"({"rid":[1]})"));
  EXPECT_FALSE(find_rid(R"({"type":"ping"})"));
  EXPECT_FALSE(find_rid(R"("rid")"));
  EXPECT_FALSE(find_rid(""));
  EXPECT_FALSE(find_rid(R"({"rid":1)"));
  EXPECT_FALSE(find_rid("{\"rid\":\"\xff\"}"));  // invalid UTF-8
  EXPECT_FALSE(find_rid(std::string(100000, '[')));
}

}  // namespace
}  // namespace parley
